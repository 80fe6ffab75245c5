"""Related-field choices limited to the user's client, for forms and serializers alike.

A foreign key to another client's record is then refused as any unknown key is: "does not
exist" (400), so input never reveals nor reaches another client's rows.
"""

from .scoping import scope_queryset


def scope_form_fields(fields, user):
    """Limit the querysets of a form's ``ModelChoiceField``/``ModelMultipleChoiceField`` to ``user``'s client."""
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None:
            field.queryset = scope_queryset(queryset, user)


def scope_serializer_fields(fields, user):
    """Limit the querysets of a serializer's writable related fields to ``user``'s client."""
    for field in fields.values():
        relation = getattr(field, "child_relation", field)  # many=True wraps the related field
        queryset = getattr(relation, "queryset", None)
        if queryset is not None and not relation.read_only:
            relation.queryset = scope_queryset(queryset, user)
