"""LzyWhiteboardService on its own endpoint; never retried, like pylzy (§2.3, §7)."""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Sequence

from ai.lzy.v1.whiteboard.whiteboard_pb2 import TimeBounds, Whiteboard
from ai.lzy.v1.whiteboard.whiteboard_service_pb2 import (
    GetRequest,
    ListRequest,
    RegisterWhiteboardRequest,
    UpdateWhiteboardRequest,
)
from ai.lzy.v1.whiteboard.whiteboard_service_pb2_grpc import LzyWhiteboardServiceStub
from lzy.config import ClientConfig
from lzy.remote.channel import WHITEBOARD_CHANNEL_OPTIONS, AuthorizedChannel


def naive_as_utc_timestamp(moment: datetime.datetime) -> datetime.datetime:
    """pylzy writes local wall-clock time as if it were UTC (§7.2); aware datetimes are converted."""
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


class WhiteboardServiceClient:
    def __init__(self, config: ClientConfig) -> None:
        self._channel = AuthorizedChannel(config, config.whiteboard_endpoint, WHITEBOARD_CHANNEL_OPTIONS)

    def _stub(self) -> LzyWhiteboardServiceStub:
        return LzyWhiteboardServiceStub(self._channel.get())

    def register(self, wb: Whiteboard) -> None:
        self._stub().RegisterWhiteboard(RegisterWhiteboardRequest(whiteboard=wb), metadata=self._channel.metadata)

    def update(self, wb: Whiteboard) -> None:
        self._stub().UpdateWhiteboard(UpdateWhiteboardRequest(whiteboard=wb), metadata=self._channel.metadata)

    def get(self, wb_id: str) -> Whiteboard:
        wb: Whiteboard = self._stub().Get(GetRequest(whiteboardId=wb_id), metadata=self._channel.metadata).whiteboard
        return wb

    def list(
        self,
        name: str | None = None,
        tags: Sequence[str] = (),
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
    ) -> builtins.list[Whiteboard]:
        bounds = TimeBounds()
        if not_before is not None:
            bounds.from_.FromDatetime(naive_as_utc_timestamp(not_before))
        if not_after is not None:
            bounds.to.FromDatetime(naive_as_utc_timestamp(not_after))
        request = ListRequest(name=name or "", tags=list(tags), createdTimeBounds=bounds)
        return list(self._stub().List(request, metadata=self._channel.metadata).whiteboards)

    def close(self) -> None:
        self._channel.close()
