# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv, install the Python deps and the Debian packages the project
# needs (apt-get update first), build the computer image when it is missing, then run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# debootstrap builds the computer image; bubblewrap is the sandbox where Docker is absent (its
# supervisor runs on the system python3);
# poppler-utils (pdftotext, pdfinfo, pdftoppm) extracts PDF text and rasterizes pages.
# Rendering: headless LibreOffice (the -nogui builds: no X11/GTK) driven over UNO by the
# system python3 (python3-uno), plus fonts metric-compatible with Calibri/Cambria
# (Carlito/Caladea) and Arial/Times/Courier (Liberation).
DEB_PACKAGES := debootstrap bubblewrap python3 poppler-utils \
	libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	python3-uno fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2

DEMO_WS := ws

.PHONY: setup sysdeps image demo test test-unit bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# openenv-core's client for the serve tests, without its declared deps (gradio and more: 475 MB)
	$(BIN)/pip install -q --no-deps 'openenv-core==0.3.0'
	touch $@

sysdeps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# Byte-compiled once here: where PYTHONDONTWRITEBYTECODE is set, every command would
# otherwise compile the package from source (~25 ms of each `synthcomp` start).
setup: $(BIN)/.installed sysdeps
	$(BIN)/python -m compileall -q synthcomp

image: setup
	$(BIN)/synthcomp image build

# The main job on the offline default: create computers, look at one, simulate a month
# of scripted work on it in its Docker container, judge it with rendered screenshots.
demo: image
	rm -rf $(DEMO_WS)
	$(BIN)/synthcomp create --n 4 --seed 7 --os mixed --out $(DEMO_WS) --workers 2
	$(BIN)/synthcomp stats $(DEMO_WS)
	$(BIN)/synthcomp show $$(ls -d $(DEMO_WS)/computers/*/win-* | head -1) --depth 3
	$(BIN)/synthcomp simulate $$(ls -d $(DEMO_WS)/computers/*/win-* | head -1) --policy scripted --days 20 --sandbox docker
	$(BIN)/synthcomp judge $$(ls -d $(DEMO_WS)/sims/*/* | head -1)
	$(BIN)/synthcomp report $$(ls -d $(DEMO_WS)/sims/*/* | head -1)
	$(BIN)/synthcomp stats $(DEMO_WS) --post

# lint-imports checks the import contracts in pyproject.toml (docs/DESIGN.md, "Layout").
test: image
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q

test-unit: setup
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q -m "not docker and not bwrap"

bench: image
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_WS) .pytest_cache
