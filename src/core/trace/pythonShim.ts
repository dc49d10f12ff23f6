// The Python side of the socket-call timeline: a `sitecustomize` module written to a private folder put first on
// PYTHONPATH (never into the user's folder). It wraps the socket API, records each call with the user's file:line,
// and writes JSON lines to a Unix socket in a private folder (SOCKET_LAB_TRACE_SOCKET; each process, a forked child too,
// has its own connection, so lines never interleave) without ever blocking the program: records wait in
// a bounded buffer, are flushed before a call that may block and when the buffer fills, and are counted as dropped
// when the reader falls behind. Then it imports the sitecustomize it shadowed, if any.
export const PYTHON_SHIM = String.raw`# Socket Lab: records this program's socket calls for the socket-call timeline. Written by Socket Lab to a private
# temporary folder; it changes nothing the program sees except timing.
import os as _os, sys as _sys


def _socket_lab_install():
    where = _os.environ.get('SOCKET_LAB_TRACE_SOCKET')
    if not where:
        return
    import _socket

    def channel():
        # the C-level socket: the recorder's own connection is not one of the program's calls
        c = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        c.connect(where)
        c.setblocking(False)
        return c

    try:
        link = {'socket': channel()}
    except OSError:
        return
    import socket, select, selectors, threading, time, json, atexit, sysconfig, collections, re as _re
    wait_writable = select.select  # the original: the recorder's own waits are not the program's calls
    here = _os.path.dirname(_os.path.abspath(__file__)) + _os.sep
    library = [here]
    for key in ('stdlib', 'platstdlib', 'purelib', 'platlib'):
        p = sysconfig.get_paths().get(key)
        if p:
            library.append(_os.path.realpath(p) + _os.sep)
    preview = int(_os.environ.get('SOCKET_LAB_TRACE_PREVIEW', '64'))
    max_buffer = int(_os.environ.get('SOCKET_LAB_TRACE_BUFFER', str(1 << 20)))
    cwd = _os.getcwd()
    state = {'buf': collections.deque(), 'size': 0, 'dropped': 0, 'retry': 0.0, 'lock': threading.Lock(), 'pid': _os.getpid()}
    inside = threading.local()
    is_library = {}
    names = {}

    # an uncaught exception's traceback is the program's own: the wrappers' frames (this file) are taken out before
    # it is printed, so a traced program's stderr is what it is untraced
    own = {__file__, _os.path.abspath(__file__)}

    def strip(tb):
        keep = []
        while tb is not None:
            if tb.tb_frame.f_code.co_filename not in own:
                keep.append(tb)
            tb = tb.tb_next
        for a, b in zip(keep, keep[1:] + [None]):
            a.tb_next = b
        return keep[0] if keep else None

    def clean(e, seen):
        if e is None or id(e) in seen:
            return
        seen.add(id(e))
        try:
            e.__traceback__ = strip(e.__traceback__)
        except Exception:
            pass
        clean(e.__cause__, seen)
        clean(e.__context__, seen)

    def hide_from_traceback_module():
        # traceback.print_exc(), format_exc(), logging's exception(): the first exception through a wrapper makes the
        # traceback module leave the wrappers out too (imported then, not at every start)
        if state.get('traceback_patched'):
            return
        state['traceback_patched'] = True
        try:
            import traceback
            init = traceback.TracebackException.__init__

            def patched(self, exc_type, exc_value, exc_traceback, *args, **kwargs):
                if isinstance(exc_value, BaseException) and exc_value.__traceback__ is exc_traceback:
                    clean(exc_value, set())
                    exc_traceback = exc_value.__traceback__
                else:
                    exc_traceback = strip(exc_traceback)
                return init(self, exc_type, exc_value, exc_traceback, *args, **kwargs)

            traceback.TracebackException.__init__ = patched
        except Exception:
            pass

    # a debugger's own files (debugpy, pydevd: Debug File): library frames, and a call made only by them (the
    # debugger talking to VS Code) is not the program's
    debugger = _re.compile(r'[\\/](debugpy|_pydevd[^\\/]*|pydevd[^\\/]*)[\\/]|[\\/]pydevd[^\\/]*\.py$')

    def user_frame():
        f = _sys._getframe(1)
        seen_debugger = False
        while f is not None:
            fn = f.f_code.co_filename
            lib = is_library.get(fn)
            if lib is None:
                lib = 2 if debugger.search(fn) else int(fn.startswith('<') or any(_os.path.realpath(fn).startswith(d) for d in library))
                is_library[fn] = lib
            if not lib:
                rel = _os.path.relpath(fn, cwd) if fn.startswith(cwd + _os.sep) else fn
                return rel, f.f_lineno
            seen_debugger = seen_debugger or lib == 2
            f = f.f_back
        return (False, None) if seen_debugger else (None, None)

    def flush_locked(force=False):
        # a full pipe is tried again after 10 ms, not on every call (the program must not slow down to retry it)
        now = time.monotonic()
        if not force and now < state['retry']:
            return
        if state['dropped'] and state['size'] + 200 <= max_buffer:
            state['buf'].append((json.dumps({'call': 'dropped', 'count': state['dropped'], 'pid': state['pid'], 't': time.time()}) + '\n').encode())
            state['size'] += len(state['buf'][-1])
            state['dropped'] = 0
        buf = state['buf']
        while buf:
            piece = bytearray()
            while buf and len(piece) < 65536:
                piece += buf.popleft()
            try:
                n = link['socket'].send(piece)
            except BlockingIOError:
                n = 0
            except OSError:  # the reader is gone: nothing more will be taken
                buf.clear()
                state['size'] = 0
                return
            state['size'] -= n
            if n < len(piece):
                buf.appendleft(bytes(piece[n:]))
                state['retry'] = now + 0.01
                return

    def emit(rec, flush):
        line = (json.dumps(rec, separators=(',', ':')) + '\n').encode()
        with state['lock']:
            if state['size'] + len(line) > max_buffer:
                state['dropped'] += 1
            else:
                state['buf'].append(line)
                state['size'] += len(line)
            if flush or state['size'] > 32768:
                flush_locked()

    def after_fork():
        state['lock'] = threading.Lock()
        state['buf'] = collections.deque()
        state['size'] = 0
        state['dropped'] = 0
        state['retry'] = 0.0
        try:
            link['socket'].close()  # the parent's connection; this process gets its own
            link['socket'] = channel()
        except OSError:
            pass
        state['pid'] = _os.getpid()

    _os.register_at_fork(after_in_child=after_fork)

    def at_exit():
        # what still waits goes out while the reader takes it, for at most 2 s: a stuck reader never holds the exit
        deadline = time.monotonic() + 2
        with state['lock']:
            flush_locked(True)
            while (state['buf'] or state['dropped']) and time.monotonic() < deadline:
                try:
                    wait_writable([], [link['socket']], [], max(0, deadline - time.monotonic()))
                except (OSError, ValueError):
                    return
                flush_locked(True)

    atexit.register(at_exit)
    real_exit = _os._exit

    def exit_now(code):
        # os._exit skips atexit (a forked child's usual end): hand over what waits first
        try:
            at_exit()
        finally:
            real_exit(code)

    _os._exit = exit_now

    def addr(a):
        if isinstance(a, tuple) and len(a) >= 2:
            h = str(a[0])
            return ('[%s]:%d' if ':' in h else '%s:%d') % (h, a[1])
        if isinstance(a, (str, bytes)):
            return a.decode('utf-8', 'replace') if isinstance(a, bytes) else a
        return None

    def endpoints(sock, fd_):
        known = names.get(fd_)
        if known is None or known[1] is None:
            try:
                local = addr(sock.getsockname())
            except OSError:
                local = None
            try:
                peer = addr(sock.getpeername())
            except OSError:
                peer = None
            known = (local, peer)
            if peer is not None:
                names[fd_] = known
        return known

    def data_fields(rec, data):
        if data is None:
            return
        b = bytes(data[:preview])
        rec['bytes_hex'] = b.hex()

    blocking = {'recv', 'recv_into', 'recvfrom', 'recvfrom_into', 'recvmsg', 'accept', 'connect', 'connect_ex', 'sendall', 'sendfile', 'select', 'do_handshake'}

    def record(call, sock, args, result, error, t0, p0, file, line):
        rec = base(call, t0, p0, file, line, error)
        try:
            fd_ = sock.fileno() if sock is not None else -1
        except OSError:
            fd_ = -1
        if fd_ >= 0:
            rec['fd'] = fd_
            local, peer = endpoints(sock, fd_)
            if local:
                rec['local'] = local
            if peer:
                rec['peer'] = peer
        describe(rec, call, sock, args, result)
        emit(rec, call in blocking or call == 'close')

    def describe(rec, call, sock, args, result):
        a0 = args[0] if args else None
        if call == 'recv' or call == 'recvfrom':
            rec['asked'] = a0
            data = result[0] if call == 'recvfrom' and result is not None else result
            if call == 'recvfrom' and result is not None:
                rec['peer'] = addr(result[1])
            if data is not None:
                rec['returned'] = len(data)
                data_fields(rec, data)
        elif call == 'recv_into' or call == 'recvfrom_into':
            n = result[0] if call == 'recvfrom_into' and result is not None else result
            rec['asked'] = (args[1] if len(args) > 1 and args[1] else None) or (len(a0) if a0 is not None else None)
            if n is not None:
                rec['returned'] = n
                data_fields(rec, memoryview(a0).cast('B')[:n])
        elif call == 'recvmsg':
            rec['asked'] = a0
            if result is not None:
                rec['returned'] = len(result[0])
                data_fields(rec, result[0])
        elif call in ('send', 'sendall', 'sendto'):
            data = memoryview(a0).cast('B') if a0 is not None else None
            rec['asked'] = len(data) if data is not None else None
            n = result if call != 'sendall' else (len(data) if data is not None else None)
            if call == 'sendto':
                rec['peer'] = addr(args[-1])
            if n is not None and data is not None:
                rec['returned'] = n
                data_fields(rec, data[:n])
        elif call == 'sendfile':
            rec['asked'] = args[2] if len(args) > 2 else None
            if result is not None:
                rec['returned'] = result
                try:  # the file now stands just past what was sent: its first bytes are read back with pread
                    data_fields(rec, _os.pread(a0.fileno(), min(result, preview), a0.tell() - result))
                except (OSError, ValueError, AttributeError):
                    pass
        elif call == 'sendmsg':
            bufs = [memoryview(b).cast('B') for b in (a0 or [])]
            rec['asked'] = sum(len(b) for b in bufs)
            if result is not None:
                rec['returned'] = result
                data_fields(rec, b''.join(bytes(b) for b in bufs)[:result])
        elif call == 'accept':
            if result is not None:
                conn, peer = result
                rec['new_fd'] = conn.fileno()
                rec['peer'] = addr(peer)
        elif call in ('connect', 'connect_ex', 'bind'):
            target = addr(a0)
            if call == 'bind':
                rec['local'] = target
            else:
                rec['peer'] = target
            if call == 'connect_ex':
                rec['returned'] = result
        elif call == 'listen':
            rec['backlog'] = a0
        elif call == 'shutdown':
            rec['how'] = {0: 'SHUT_RD', 1: 'SHUT_WR', 2: 'SHUT_RDWR'}.get(a0, a0)
        elif call == 'setsockopt':
            rec['level'], rec['option'] = args[0], args[1]
            v = args[2] if len(args) > 2 else None
            rec['value'] = v if isinstance(v, int) else (bytes(v).hex() if v is not None else None)
        elif call == 'settimeout' or call == 'setblocking':
            rec['value'] = a0
        elif call == 'socket':
            try:
                rec['family'] = socket.AddressFamily(sock.family).name
                rec['type'] = socket.SocketKind(sock.type).name
            except (ValueError, OSError):
                pass

    def base(call, t0, p0, file, line, error=None):
        rec = {'t': t0, 'call': call, 'file': file, 'line': line, 'pid': state['pid'], 'thread': threading.current_thread().name}
        if error is not None:
            rec['error'] = '%s: %s' % (type(error).__name__, error)
        rec['blocked_ms'] = round((time.perf_counter() - p0) * 1000, 3)
        return rec

    def timed(run, finish):
        # the program's call, made once as the program made it; then finish(result, error, t0, p0, file, line) records
        # it. A call made inside another recorded call (sendall inside an SSL send) is not recorded twice.
        if getattr(inside, 'on', False):
            return run()
        file, line = user_frame()
        if file is False:  # the debugger's own call
            return run()
        inside.on = True
        t0 = time.time()
        p0 = time.perf_counter()
        result = None
        error = None
        try:
            result = run()
            return result
        except BaseException as e:
            error = e
            hide_from_traceback_module()
            raise
        finally:
            inside.on = False
            try:
                finish(result, error, t0, p0, file, line)
            except Exception:
                pass  # recording must never break the program

    def wrap(cls, name, call=None):
        orig = cls.__dict__.get(name) if hasattr(cls, '__dict__') else None
        orig = orig or getattr(cls, name, None)
        if orig is None:
            return
        call = call or name

        def wrapper(self, *args, **kwargs):
            if call == 'close':
                try:
                    fd_before = self.fileno()
                except OSError:
                    fd_before = -1

                def closed(result, error, t0, p0, file, line):
                    if fd_before >= 0:
                        rec = base('close', t0, p0, file, line, error)
                        rec['fd'] = fd_before
                        emit(rec, True)
                        names.pop(fd_before, None)
                return timed(lambda: orig(self, *args, **kwargs), closed)
            return timed(lambda: orig(self, *args, **kwargs), lambda result, error, t0, p0, file, line: record(call, self, args, result, error, t0, p0, file, line))

        wrapper.__name__ = getattr(orig, '__name__', name)
        wrapper.__doc__ = getattr(orig, '__doc__', None)
        setattr(cls, name, wrapper)

    for name in ('bind', 'listen', 'accept', 'connect', 'connect_ex', 'send', 'sendall', 'sendfile', 'sendto', 'sendmsg', 'recv', 'recv_into', 'recvfrom', 'recvfrom_into', 'recvmsg', 'shutdown', 'close', 'setsockopt', 'settimeout', 'setblocking'):
        wrap(socket.socket, name)
    wrap(socket.socket, '__init__', 'socket')
    try:
        import ssl
        for name in ('send', 'sendall', 'recv', 'recv_into', 'do_handshake', 'shutdown'):
            wrap(ssl.SSLSocket, name)
        orig_wrap = ssl.SSLContext.wrap_socket

        def wrap_socket(self, sock, *args, **kwargs):
            return timed(lambda: orig_wrap(self, sock, *args, **kwargs), lambda result, error, t0, p0, file, line: record('ssl_wrap', result, (), None, error, t0, p0, file, line) if result is not None else None)

        ssl.SSLContext.wrap_socket = wrap_socket
    except ImportError:
        pass

    def fds(xs):
        return [s if isinstance(s, int) else s.fileno() for s in xs]

    orig_select = select.select

    def select_wrapper(r, w, x, *timeout):
        def done(result, error, t0, p0, file, line):
            rec = base('select', t0, p0, file, line, error)
            rec.update({'read_fds': fds(r), 'write_fds': fds(w), 'timeout': timeout[0] if timeout else None})
            if result is not None:
                rec['ready_read'] = fds(result[0])
                rec['ready_write'] = fds(result[1])
            emit(rec, True)
        return timed(lambda: orig_select(r, w, x, *timeout), done)

    select.select = select_wrapper

    prior_hook = _sys.excepthook

    def excepthook(t, v, tb):
        clean(v, set())
        return prior_hook(t, v, v.__traceback__ if isinstance(v, BaseException) else tb)

    _sys.excepthook = excepthook
    prior_thread_hook = threading.excepthook

    def thread_excepthook(args):
        if args.exc_value is not None:
            clean(args.exc_value, set())
            args = threading.ExceptHookArgs([args.exc_type, args.exc_value, args.exc_value.__traceback__, args.thread])
        return prior_thread_hook(args)

    threading.excepthook = thread_excepthook

    def selector_select(orig):
        def wrapper(self, timeout=None):
            def done(ready, error, t0, p0, file, line):
                rec = base('select', t0, p0, file, line, error)
                rec.update({'via': type(self).__name__, 'timeout': timeout})
                if ready is not None:
                    rec['ready_read'] = [k.fd for k, ev in ready if ev & selectors.EVENT_READ]
                    rec['ready_write'] = [k.fd for k, ev in ready if ev & selectors.EVENT_WRITE]
                emit(rec, True)
            return timed(lambda: orig(self, timeout), done)
        return wrapper

    for cls_name in ('SelectSelector', 'PollSelector', 'EpollSelector', 'DevpollSelector', 'KqueueSelector'):
        cls = getattr(selectors, cls_name, None)
        if cls is not None:
            cls.select = selector_select(cls.select)


try:
    _socket_lab_install()
except Exception as _e:  # never stop the program
    _sys.stderr.write('Socket Lab: the socket-call recorder did not start (%s); the program runs unrecorded.\n' % _e)

# the sitecustomize this one shadows (a virtualenv's, a distribution's) still runs
_here = _os.path.dirname(_os.path.abspath(__file__))
_rest = [p for p in _sys.path if _os.path.abspath(p or '.') != _here]
import importlib.machinery as _machinery
_spec = _machinery.PathFinder.find_spec('sitecustomize', _rest)
if _spec is not None and _spec.loader is not None:
    import importlib.util as _util
    _module = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
`;
