"""The home page: a person's day, made of sections the apps contribute.

``apps.core`` knows no domain app, so each app registers its sections (``home_section``) from
its ``AppConfig.ready``. A section is a function of the request returning a ``HomeSection`` or
None (nothing for this person); each runs a small, bounded number of queries.
"""

from dataclasses import dataclass, field

from django.views.generic import TemplateView

_SECTIONS = []


@dataclass
class HomeItem:
    label: str
    url: str
    note: str = ""


@dataclass
class HomeSection:
    title: str
    items: list = field(default_factory=list)
    #: What to say when ``items`` is empty.
    empty: str = "Nothing for now."
    #: (label, url) of the page with everything of this kind.
    more: tuple | None = None


def home_section(order):
    """Register the decorated ``function(request)`` as a home-page section; lower ``order`` first."""

    def register(function):
        _SECTIONS.append((order, function))
        _SECTIONS.sort(key=lambda entry: entry[0])
        return function

    return register


class HomeView(TemplateView):
    """Signed-in people see their day; visitors are invited to sign in."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sections = []
        if self.request.user.is_authenticated:
            for _order, function in _SECTIONS:
                section = function(self.request)
                if section is not None:
                    sections.append(section)
        context["sections"] = sections
        return context
