"""Uploaded documents on S3-compatible storage (AWS S3, MinIO, Ceph, a cloud provider's
object store), used when S3_BUCKET is set; needs the `s3` extra (django-storages, boto3).

Several web servers then share the uploads without a shared file system. The same rules as
on disk (core.storage): objects are private (the bucket's own policy; no public ACL is ever
set) and read only through the views that check access, never by a URL handed out; an
existing object is never replaced (names are random; a clash gets another name); an upload
either arrives whole or not at all (an S3 PUT is atomic), and the caller removes a stored
object whose transaction then fails.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    def get_default_settings(self) -> dict[str, object]:
        defaults: dict[str, object] = super().get_default_settings()
        defaults.update(file_overwrite=False, default_acl=None, querystring_auth=True)
        return defaults
