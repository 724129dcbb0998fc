"""Files kept on disk where no URL reaches them: a view that has checked who asks reads and serves them.

Proof of delivery (a photo of a doorstep, a signature) must never be one guessable address away, nor
served by whatever serves MEDIA_ROOT. These files live under settings.PRIVATE_ROOT, outside MEDIA_ROOT
(settings refuse one inside the other), and `url()` refuses to make an address, so a template that links
one by mistake fails loudly instead of publishing it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


class PrivateFileHasNoUrl(ValueError):
    """Raised by `url()`: a private file is served only by a view that checks who asks."""


@deconstructible(path="core.private_storage.PrivateFileSystemStorage")
class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage under settings.PRIVATE_ROOT (unless `location` is given), without URLs."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise PrivateFileHasNoUrl(f"{name} is a private file: serve it through a view that checks who asks.")
