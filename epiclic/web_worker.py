"""gunicorn's threaded worker, taking a connection only when one of its threads is free.

gunicorn's ``gthread`` worker accepts every connection it can as soon as it arrives and queues
it for its own threads. When 200 people open the ordering page at once, the worker processes
race for them and one of them ends up with half the queue (measured: 114, 50 and 36 ordering
pages for 3 workers): the last people in the longest queue wait while the other workers already
serve the carts of the first ones. Its ``worker_connections`` cannot bound this: below about
twice the threads, gunicorn 23 stops polling the connections it has accepted and hangs.

``FairThreadWorker`` stops listening while all its threads are busy (a connection accepted and
not yet answered counts as busy; an idle keep-alive connection does not). The other connections
wait in the kernel's listen queue (``backlog``), first come, first served, for whichever worker
frees a thread first: one queue for every process instead of one per process.

Used by epiclic/gunicorn.conf.py; tests/epiclic/test_web_worker.py serves through it.
"""

from __future__ import annotations

import os
import selectors
from concurrent import futures
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class FairThreadWorker(ThreadWorker):
    def run(self) -> None:
        # A byte on this pipe wakes the loop when a request finishes, so that a worker that
        # had stopped listening takes the next connection at once, not at the next tick.
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.poller.register(self._wake_r, selectors.EVENT_READ, self._drain_wake)
        listeners: list[tuple[Any, Any]] = []
        for sock in self.sockets:
            sock.setblocking(False)
            # Captured once: gunicorn's own run() does so for a shutdown race.
            listeners.append((sock, self._acceptor(sock.getsockname())))
        listening = False

        while self.alive:
            self.notify()
            busy = self.nr_conns - len(self._keep) >= self.cfg.threads
            if busy == listening:  # start or stop listening
                with self._lock:
                    for sock, acceptor in listeners:
                        if busy:
                            self.poller.unregister(sock)
                        else:
                            self.poller.register(sock, selectors.EVENT_READ, acceptor)
                listening = not busy
            for key, _event in self.poller.select(1.0):
                key.data(key.fileobj)
            done = futures.wait(self.futures, timeout=0, return_when=futures.FIRST_COMPLETED)
            for future in done.done:
                self.futures.remove(future)
            if not self.is_parent_alive():
                break
            self.murder_keepalived()

        self.tpool.shutdown(False)
        self.poller.close()
        for sock in self.sockets:
            sock.close()
        futures.wait(self.futures, timeout=self.cfg.graceful_timeout)

    def _acceptor(self, server: Any) -> Any:
        return lambda listener: self.accept(server, listener)

    def _drain_wake(self, fd: int) -> None:
        try:
            os.read(fd, 4096)
        except BlockingIOError:
            pass

    def finish_request(self, fs: Any) -> None:
        super().finish_request(fs)
        try:
            os.write(self._wake_w, b".")
        except BlockingIOError:  # the pipe is full: the loop is awake anyway
            pass
