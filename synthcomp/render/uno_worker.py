"""UNO client run by the *system* Python (``/usr/bin/python3`` with Debian's python3-uno).

The venv Python cannot import ``uno``, so :mod:`synthcomp.render.office` starts this file
as a child process next to a warm ``soffice --headless --accept=pipe,...`` and talks to
it over stdin/stdout, one JSON object per line. It imports nothing from synthcomp.

Protocol:
    started as ``python3 uno_worker.py PIPE_NAME CONNECT_TIMEOUT_S``
    first line out: ``{"ready": true}`` or ``{"fatal": "..."}`` (then it exits)
    ``{"op": "quit"}`` ends LibreOffice and the worker
    request:  ``{"src": path, "dst": path, "import_filter": str|null,
                 "import_options": str|null, "export_filter": str|null,
                 "fit_width": bool, "encryption": {name: value}|null}``
    response: ``{"ok": true, "export_filter": name}`` or
              ``{"ok": false, "error": "...", "fatal": bool}`` (fatal: the office is gone)

The worker is also LibreOffice's lifeline: LibreOffice runs in a session of its own, so
nothing kills it when its owner is SIGKILLed, and its launcher's child (``soffice.bin``)
would not inherit a parent-death signal. Its owner never closes this worker's stdin
while LibreOffice should live, so when stdin ends (the owner is gone, however it died)
the worker kills every process serving its pipe, then exits.

``fit_width`` scales each sheet of a spreadsheet to one page wide. With no
``export_filter`` the document is exported to PDF with the filter matching its
type. ``encryption`` becomes the ``EncryptionData`` of the store call (e.g.
``{"OOXPassword": "pw", "CryptoType": "Standard"}`` writes a password-protected DOCX).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path

try:
    import uno
    from com.sun.star.beans import NamedValue, PropertyValue
except ImportError:  # reported to the parent as a fatal line, not a traceback
    uno = None

# document service -> PDF export filter
PDF_FILTERS = (
    ("com.sun.star.text.TextDocument", "writer_pdf_Export"),
    ("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
    ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export"),
)


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _prop(name: str, value: object) -> "PropertyValue":
    return PropertyValue(Name=name, Value=value)


def _connect(pipe: str, timeout_s: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.03)


def _is_fatal(exc: BaseException) -> bool:
    """Whether the exception means the office process or the bridge is gone."""
    text = f"{type(exc).__name__} {exc}"
    return any(s in text for s in ("DisposedException", "Binary URP bridge", "bridge disposed"))


def _convert(desktop, req: dict) -> str:
    load = [
        _prop("Hidden", True),
        _prop("ReadOnly", True),
        _prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
        _prop("UpdateDocMode", 0),  # NO_UPDATE: no external links fetched
    ]
    if req.get("import_filter"):
        load.append(_prop("FilterName", req["import_filter"]))
    if req.get("import_options"):
        load.append(_prop("FilterOptions", req["import_options"]))
    why = "corrupt, password-protected or not a document"
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(req["src"]), "_blank", 0, tuple(load))
    except Exception as exc:
        if _is_fatal(exc):
            raise
        detail = str(exc).split(" at ./", 1)[0].split(">: ", 1)[-1].strip() or type(exc).__name__
        raise ValueError(f"LibreOffice could not open it: {detail} ({why})") from None
    if doc is None:
        raise ValueError(f"LibreOffice could not open it ({why})")
    try:
        if req.get("fit_width") and doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
            _fit_sheets_to_width(doc)
        export = req.get("export_filter")
        if not export:
            export = next((f for service, f in PDF_FILTERS if doc.supportsService(service)), None)
            if export is None:
                raise ValueError("LibreOffice opened it as an unknown document type")
        store = [_prop("FilterName", export), _prop("Overwrite", True)]
        if req.get("encryption"):
            data = tuple(NamedValue(k, v) for k, v in req["encryption"].items())
            store.append(_prop("EncryptionData", uno.Any("[]com.sun.star.beans.NamedValue", data)))
        doc.storeToURL(uno.systemPathToFileUrl(req["dst"]), tuple(store))
        return export
    finally:
        try:
            doc.close(True)
        except Exception:
            doc.dispose()


def _fit_sheets_to_width(doc) -> None:
    """Print every sheet one page wide (as many pages tall as it needs), not in column strips."""
    styles = doc.StyleFamilies.getByName("PageStyles")
    done = set()
    for i in range(doc.Sheets.Count):
        name = doc.Sheets.getByIndex(i).PageStyle
        if name in done or not styles.hasByName(name):
            continue
        done.add(name)
        style = styles.getByName(name)
        style.ScaleToPagesX = 1
        style.ScaleToPagesY = 0


def _read_until_orphaned(lines: queue.Queue[str], pipe: str) -> None:
    """Hand stdin's lines to the main loop; at its end the owner is gone: take LibreOffice down too.

    A thread of its own, so that it acts even while the main loop waits on a hung LibreOffice.
    """
    for line in sys.stdin:
        lines.put(line)
    _kill_office(pipe)
    os._exit(0)


def _kill_office(pipe: str) -> None:
    """SIGKILL the processes whose arguments accept connections on ``pipe`` (the launcher,
    ``soffice.bin``): the pipe name is unique to this worker's LibreOffice, so nothing else matches."""
    accept = f"pipe,name={pipe};".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if any(accept in arg for arg in cmdline.read_bytes().split(b"\0")):
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to signal


def main() -> None:
    pipe, timeout_s = sys.argv[1], float(sys.argv[2])
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_until_orphaned, args=(lines, pipe), daemon=True).start()
    if uno is None:
        _emit({"fatal": f"{sys.executable} cannot import uno: install the Debian package python3-uno"})
        os._exit(3)
    try:
        desktop = _connect(pipe, timeout_s)
    except Exception as exc:
        _emit({"fatal": f"could not reach LibreOffice on pipe {pipe} within {timeout_s:.0f} s: {exc}"})
        os._exit(4)
    _emit({"ready": True})
    while True:
        line = lines.get()
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            try:
                desktop.terminate()
            except Exception:
                pass
            break
        try:
            export = _convert(desktop, req)
        except Exception as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _emit({"ok": False, "error": message[:500], "fatal": _is_fatal(exc)})
            if _is_fatal(exc):
                break
        else:
            _emit({"ok": True, "export_filter": export})
    # pyuno can crash while tearing the bridge down at interpreter exit: skip that
    os._exit(0)


if __name__ == "__main__":
    main()
