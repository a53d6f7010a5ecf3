"""nginx for the deployment tests, when the machine has it: a foreground process of the test,
with its own prefix, pid file, logs and temporary folders, never the system's service.

It serves docs/deploy/nginx.conf, the configuration docs/deploy.md gives, inside a main file
that holds only what a process needs to run apart from the system's nginx.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.system_programs import SystemProgram

START_TIMEOUT = 30.0
# Debian installs it in /usr/sbin, which a user's PATH may leave out.
_PLACES = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")


def nginx_path() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path=os.pathsep.join(_PLACES))


def _why_unavailable() -> str | None:
    return None if nginx_path() else "nginx is not installed"


NGINX = SystemProgram("nginx", "nginx", _why_unavailable)

_MAIN = """\
{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{
    worker_connections 256;
}}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site};
}}
"""


@contextmanager
def nginx_serving(site: str, folder: Path, port: int) -> Iterator[None]:
    """Runs nginx with `site` (the text of a file for its `http` block) until the block ends;
    yields once nginx accepts connections on `port`, where `site` listens."""
    executable = nginx_path()
    assert executable is not None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.conf").write_text(site)
    # As root, nginx's workers would run as `nobody`, who cannot enter a test's own folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(_MAIN.format(user=user, folder=folder, site=folder / "site.conf"))
    base = [executable, "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log")]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [*base, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until_listening(port, process, folder / "error.log")
        yield
    finally:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if process.poll() is not None:
            raise AssertionError(f"nginx stopped: {log.read_text() if log.exists() else ''}")
        assert time.monotonic() < deadline, "nginx did not start"
        time.sleep(0.05)
