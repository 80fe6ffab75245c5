"""The project's pages as tests find them: every list page, from the URLconf rather than a list kept by hand."""

from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.views.pages import RecordListView


def list_page_names():
    """The URL names (``app:name``) of every page built on ``RecordListView``, sorted."""
    names = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                view_class = getattr(pattern.callback, "view_class", None)
                if view_class is not None and issubclass(view_class, RecordListView):
                    names.append(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return sorted(names)
