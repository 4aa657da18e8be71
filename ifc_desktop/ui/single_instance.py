"""One window per data folder: a second launch hands its files to the running window.

Windows starts a new process for every "Open with" and every file dropped on
the shortcut. That process asks the window already running on the same data
folder to import the files, then exits, so the user keeps one window and one
job list.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 500
_MAX_MESSAGE = 4 * 1024 * 1024


def server_name(data_dir: Path) -> str:
    """A name per user and data folder (local socket names are shared by all users on Linux)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment
        user = ""
    key = f"{user}\0{Path(data_dir).resolve()}".lower().encode("utf-8", "surrogateescape")
    return "ifc-desktop-" + hashlib.sha256(key).hexdigest()[:20]


def forward_to_running_window(data_dir: Path, paths: list[str]) -> bool:
    """Send ``paths`` to the window running on ``data_dir``; False when there is none."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(json.dumps({"paths": paths}).encode("utf-8"))
    socket.flush()
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return True


class InstanceServer(QObject):
    """Listens for later launches on the same data folder and emits the paths they bring."""

    paths_received = Signal(list)

    def __init__(self, data_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self._buffers: dict[QLocalSocket, bytearray] = {}
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        name = server_name(data_dir)
        if not self._server.listen(name):
            # A socket file left by a crashed window (Linux): nobody answers on it, so remove it.
            QLocalServer.removeServer(name)
            if not self._server.listen(name):
                log.warning("single-instance server not available: %s", self._server.errorString())
        self._server.newConnection.connect(self._accept)

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._finish(s))
            if socket.bytesAvailable():
                self._read(socket)
            if socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
                self._finish(socket)

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if len(buffer) > _MAX_MESSAGE:
            self._buffers.pop(socket, None)
            socket.abort()

    def _finish(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.pop(socket, None)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        socket.deleteLater()
        try:
            paths = [str(p) for p in json.loads(buffer.decode("utf-8")).get("paths", [])]
        except (ValueError, AttributeError):
            log.warning("ignored a malformed message from another launch")
            return
        self.paths_received.emit(paths)
