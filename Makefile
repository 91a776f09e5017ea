# Two commands on a fresh machine:  make train   and   make test
# Everything goes into .venv. torch is installed first, pinned (a looser
# requirement can pull a multi-GB CUDA build), and constraints.txt keeps every
# later step from replacing it.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
BIN     := $(VENV)/bin
TORCH   := torch==2.13.0
RUN_ID  ?= quick-$(shell date +%Y%m%d-%H%M%S)
STAMP   := $(VENV)/.qwop-fast-installed

.PHONY: install train test bench clean

install: $(STAMP)

# The engine is plain C++ (our own physics): a C++17 compiler is all it needs.
$(STAMP): pyproject.toml setup.py constraints.txt $(wildcard ext/*.pyx ext/*.cpp ext/*.h)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -c constraints.txt -e ".[all]"
	# imitation (qwop-fast imitate) pins gymnasium 0.29 and SB3 2.2, older than
	# ours; its BC runs on ours (tests/training/test_imitate.py), so it comes
	# without its dependencies rather than downgrading them.
	$(PIP) install -q --no-deps imitation==1.0.1
	@touch $@

# The main job: train the quick QR-DQN agent, evaluate it next to a random
# policy, and write a GIF of it running.
train: install
	$(BIN)/qwop-fast train --run-id $(RUN_ID)
	$(BIN)/qwop-fast evaluate --random --episodes 20
	$(BIN)/qwop-fast evaluate --model runs/$(RUN_ID)/final_model.zip --episodes 20 --output runs/$(RUN_ID)/eval
	$(BIN)/qwop-fast watch --model runs/$(RUN_ID)/final_model.zip --episodes 1 --output runs/$(RUN_ID)/agent.gif
	@echo "Trained agent, evaluation and GIF are in runs/$(RUN_ID)/"

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/qwop-fast bench

clean:
	rm -rf build *.egg-info qwop_fast/*.so ext/_engine.cpp
