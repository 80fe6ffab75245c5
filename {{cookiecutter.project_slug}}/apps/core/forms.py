"""Form base: forms know the request, so choices can be limited to the user's client."""

from django import forms


class AtomicModelForm(forms.ModelForm):
    """A ModelForm that only validates; saving is the service function's job, in its transaction."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def save(self, commit=True):
        raise NotImplementedError("Save through the app's service function, which holds the transaction.")
