"""The API's JSON renderer: DRF's, for any text an error message may echo back.

DRF writes JSON as UTF-8 text (``UNICODE_JSON``). A lone surrogate from the input, quoted back in
an error ("\\"\\ud800\\" is not a valid choice."), has no UTF-8 form, and encoding the answer
raised ``UnicodeEncodeError``: the caller's 400 became a 500. Such an answer is written with
ASCII escapes instead, which any JSON reader decodes to the same text.
"""

from rest_framework.renderers import JSONRenderer


class EscapingJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            ascii_only = JSONRenderer()
            ascii_only.ensure_ascii = True
            return ascii_only.render(data, accepted_media_type, renderer_context)
