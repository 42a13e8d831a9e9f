"""S3 access with boto3: path-style, SigV4, streamed multipart transfers (§3.2)."""

from __future__ import annotations

import os
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.client import Config
from botocore.exceptions import ClientError

from lzy.storage.config import S3Credentials
from lzy.storage.uri import split_uri

_MB = 1024 * 1024
# pylzy uploaded every object as a multipart upload; boto3 switches at this threshold.
TRANSFER = TransferConfig(multipart_threshold=8 * _MB, multipart_chunksize=16 * _MB, max_concurrency=4)


class S3Client:
    def __init__(self, credentials: S3Credentials) -> None:
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=credentials.endpoint or None,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            region_name=os.environ.get("AWS_REGION", "us-east-1"),
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )

    def size(self, uri: str) -> int | None:
        """Object size, or None if absent (any HEAD error reads as absent, like pylzy)."""
        _, bucket, key = split_uri(uri)
        try:
            head = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError:
            return None
        return int(head["ContentLength"])

    def exists(self, uri: str) -> bool:
        return self.size(uri) is not None

    def upload(self, uri: str, source: BinaryIO) -> None:
        _, bucket, key = split_uri(uri)
        self._client.upload_fileobj(source, bucket, key, Config=TRANSFER)

    def download(self, uri: str, dest: BinaryIO) -> None:
        _, bucket, key = split_uri(uri)
        self._client.download_fileobj(bucket, key, dest, Config=TRANSFER)

    def put_bytes(self, uri: str, data: bytes) -> None:
        _, bucket, key = split_uri(uri)
        self._client.put_object(Bucket=bucket, Key=key, Body=data)

    def get_bytes(self, uri: str) -> bytes:
        _, bucket, key = split_uri(uri)
        body: bytes = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def copy(self, source_uri: str, dest_uri: str) -> None:
        _, src_bucket, src_key = split_uri(source_uri)
        _, bucket, key = split_uri(dest_uri)
        self._client.copy({"Bucket": src_bucket, "Key": src_key}, bucket, key, Config=TRANSFER)

    def presign_get(self, uri: str, expires_s: int = 3600) -> str:
        _, bucket, key = split_uri(uri)
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s
        )
        return url

    def presign_put(self, uri: str, expires_s: int) -> str:
        _, bucket, key = split_uri(uri)
        url: str = self._client.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s
        )
        return url
