"""The client's storage side (python-client-protocol.md §3): S3 the way pylzy's aioboto3 used it,
and the serialzy 0.0.15 file format of every data object."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from botocore.config import Config

SERIALZY_MAGIC = b"serialzy"


def serialzy_int(value: int) -> bytes:
    """An `int` as serialzy writes it: magic, u64 LE header length, JSON header, decimal text."""
    header = json.dumps(
        {
            "data_format": "primitive_type",
            "schema_format": "serialzy_python_type_reference",
            "schema_content": json.dumps({"module": "builtins", "name": "int"}),
            "meta": {"serialzy": "0.0.15"},
        }
    ).encode()
    return SERIALZY_MAGIC + struct.pack("<Q", len(header)) + header + str(value).encode()


def serialzy_read(blob: bytes) -> tuple[dict[str, Any], bytes]:
    """Splits a serialzy file into its JSON header and its payload."""
    if blob[:8] != SERIALZY_MAGIC:
        raise ValueError(f"not a serialzy object: {blob[:16]!r}")
    (length,) = struct.unpack("<Q", blob[8:16])
    return json.loads(blob[16 : 16 + length]), blob[16 + length :]


# DataScheme of an int in the graph and in whiteboard fields (§3.4).
INT_SCHEME: dict[str, Any] = {
    "dataFormat": "primitive_type",
    "schemeFormat": "serialzy_python_type_reference",
    "schemeContent": json.dumps({"module": "builtins", "name": "int"}),
    "metadata": {"serialzy": "0.0.15"},
}


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/path` → (bucket, key), the key normalised the way pathlib does (§3.5)."""
    scheme, _, rest = uri.partition("://")
    if scheme != "s3":
        raise ValueError(f"not an s3 uri: {uri}")
    bucket, _, path = rest.partition("/")
    key = str(PurePosixPath("/" + path)).lstrip("/")
    return bucket, key


@dataclass
class Storage:
    """One StorageConfig from the server, used as pylzy does: path-style, SigV4, us-east-1."""

    uri: str
    endpoint: str
    access_key: str
    secret_key: str

    @staticmethod
    def of(config: Any) -> Storage:
        if config.WhichOneof("credentials") != "s3":
            raise AssertionError(f"expected S3 credentials, got {config}")
        return Storage(config.uri, config.s3.endpoint, config.s3.accessToken, config.s3.secretToken)

    def _client(self, signature_version: str = "s3v4") -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(
                signature_version=signature_version,
                s3={"addressing_style": "path"},
                # botocore 1.27 (pylzy's) sent no CRC checksums; Content-MD5 on parts instead.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def put(self, uri: str, data: bytes) -> None:
        """Every upload is multipart, even 10 bytes: Create, UploadPart (Content-MD5), Complete."""
        bucket, key = split_uri(uri)
        s3 = self._client()
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key)
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        part = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=1,
            Body=data,
            ContentMD5=md5,
        )
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
        )

    def exists(self, uri: str) -> bool:
        """pylzy reads ANY HeadObject error as "absent"."""
        bucket, key = split_uri(uri)
        try:
            self._client().head_object(Bucket=bucket, Key=key)
        except Exception:
            return False
        return True

    def get(self, uri: str) -> bytes:
        """Materialising a result: HEAD (exists?), HEAD (size), GET."""
        bucket, key = split_uri(uri)
        s3 = self._client()
        s3.head_object(Bucket=bucket, Key=key)
        size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert len(body) == size
        return bytes(body)

    def copy(self, source_uri: str, target_uri: str) -> None:
        """A whiteboard field set from a stored result: CopyObject inside the bucket (§7.3)."""
        source_bucket, source_key = split_uri(source_uri)
        bucket, key = split_uri(target_uri)
        self._client().copy_object(
            Bucket=bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": source_key}
        )

    def presign_get(self, uri: str, signature_version: str = "s3") -> str:
        """Local-module URLs: GET, 1 hour; pylzy's are signature version 2 query auth (§3.2)."""
        bucket, key = split_uri(uri)
        return str(
            self._client(signature_version).generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600
            )
        )


def http_get(url: str) -> tuple[int, bytes]:
    """A plain HTTP GET, as the worker fetches local modules: (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as e:
        return int(e.code), bytes(e.read())


def zip_local_module(path: Path) -> bytes:
    """A local module as pylzy zips it: a directory recursively, entries relative to its parent
    (so the archive unpacks into an importable tree, e.g. `lzy/api/v1/startup.py`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if path.is_file():
            archive.write(path, path.name)
        else:
            for file in sorted(path.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts:
                    archive.write(file, str(file.relative_to(path.parent)))
    return buffer.getvalue()


def upload_local_module(storage: Storage, path: Path) -> tuple[str, str]:
    """HEAD, PUT if absent, presign with SigV2 as pylzy does: returns the LocalModule (name =
    client path, url). The server must make such URLs downloadable by the worker (§3.2)."""
    data = zip_local_module(path)
    uri = f"{storage.uri}/lzy_local_modules/{path.name}/{hashlib.md5(data).hexdigest()}"
    if not storage.exists(uri):
        storage.put(uri, data)
    return str(path), storage.presign_get(uri, "s3")
