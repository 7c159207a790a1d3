# Every target installs what it needs first: `make lab` and `make test` work on a fresh clone
# of the repository on a machine with Python 3.11 or newer.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Jupyter refuses to run as root without being told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: install test book lab app screenshot reproduce notebooks bench bench-target bench-explorer bench-build tf1-runs transplant extra-update clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sinelib needs Python 3.11 or newer, found " + sys.version.split()[0] + "; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[notebooks,test,bench,book]"
	@touch $(STAMP)

## test: the whole test suite (package tests and every notebook under nbval)
test: install
	$(BIN)/python -m pytest

## book: the course as a website, from the committed, executed notebooks (nothing is executed,
## nothing is fetched; warnings are errors): open build/book/html/index.html
book: install
	$(BIN)/python -m book.build

.PHONY: screenshots

## screenshots: build the book, then retake its screenshots for the README (the LSTM's
## equations, a clipping table and the ledger, each on a laptop, 1280 x 800, and a phone,
## 390 x 844) into figures/screenshots/; needs Chromium, as the browser tests do
screenshots: install
	$(BIN)/python -m book.build --screenshots figures/screenshots

## lab: JupyterLab on the notebooks, on 127.0.0.1 with a token (printed below). Only when you
## mean it: make lab LAB_IP=0.0.0.0 listens on every interface (the token still guards it).
LAB_IP ?= 127.0.0.1
lab: install
	$(BIN)/jupyter lab --ip $(LAB_IP) --no-browser --notebook-dir notebooks $(ROOT_FLAG)

## app: the generalisation explorer as a standalone page (Voila on notebooks/12_explorer.ipynb,
## shipped weights only), on 127.0.0.1 behind a random token (the URL with it is printed
## below). make app APP_IP=0.0.0.0 listens on every interface, as for make lab. Voila does not
## refuse to run as root, so it takes no ROOT_FLAG.
## VOILA runs Voila with the course's page template (app/voila/templates/sinelib-app, found
## through JUPYTER_PATH): nothing is fetched from another machine, and cells tagged hide-in-app
## are run but not shown. Every standalone page uses it: $(VOILA) notebooks/NN_name.ipynb ...
APP_IP ?= 127.0.0.1
VOILA = JUPYTER_PATH="$(CURDIR)/app$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))" \
	$(BIN)/voila --template=sinelib-app --no-browser --Voila.ip=$(APP_IP) --token
app: install
	$(VOILA) notebooks/12_explorer.ipynb

.PHONY: playground bench-playground

## playground: the training playground as a standalone page (Voila on
## notebooks/15_playground.ipynb, with the page template of make app): change the network,
## press Train, watch it learn; on 127.0.0.1 behind a random token, like make app
## (APP_IP=0.0.0.0 listens on every interface)
playground: install
	$(VOILA) notebooks/15_playground.ipynb

## bench-playground: the playground's steps per second for each cell at 10, 32 and 150 units,
## the time the default setting takes to reach experiment 3's loss, and how fast the page
## redraws and answers a control, into benchmarks/playground.json and .md (~10 min)
bench-playground: install
	$(BIN)/python -m benchmarks.playground --json benchmarks/playground.json \
	  --markdown benchmarks/playground.md

## screenshot: retake figures/explorer.png (the README's) and figures/playground.png with the
## browser tests of JupyterLab
screenshot: install
	SINELIB_SCREENSHOT=figures/explorer.png $(BIN)/python -m pytest tests/test_browser.py -k lab
	SINELIB_PLAYGROUND_SCREENSHOT=figures/playground.png $(BIN)/python -m pytest \
	  tests/test_browser_playground.py -k lab

## reproduce: train every experiment at its full budget into the shipped weights
reproduce: install
	$(BIN)/python -m sinelib reproduce --all

## bench: training step of sinelib against the TF1-style reference, every configuration (~25 min)
bench: install
	$(BIN)/python -m benchmarks.training --json benchmarks/results.json --markdown benchmarks/results.md

## bench-target: train the TF1-style reference until it reaches each number of the original (long)
bench-target: install
	$(BIN)/python -m benchmarks.training --to-target --json benchmarks/to_target.json --markdown benchmarks/to_target.md

## bench-explorer: median time of an explorer slider move for every shipped network (~2 min)
bench-explorer: install
	$(BIN)/python -m benchmarks.explorer --json benchmarks/explorer.json \
	  --markdown benchmarks/explorer.md

## bench-build: notebook 02's network, written from parts, trained until it reaches the original's
## number; then its three variations, into benchmarks/build_it_yourself.json and .md (~15 min)
bench-build: install
	$(BIN)/python -m benchmarks.build_it_yourself --json benchmarks/build_it_yourself.json \
	  --markdown benchmarks/build_it_yourself.md

## tf1-runs: train the original's TF1 graph (its own cells and initialisation, the same protocol and
## minibatches) for every experiment at seed 0 and its spread seeds: histories and manifests into
## sinelib/pretrained/tf1, no weights (hours; a run already written is skipped)
tf1-runs: install
	TF_USE_LEGACY_KERAS=1 $(BIN)/python -m sinelib.tools.reference_tf1

## transplant: start the TF1 graph from the port's initial weights and train both for 300 steps on
## the same minibatches: how far their losses differ, for every experiment, into
## benchmarks/transplant.md (~10 min)
transplant: install
	TF_USE_LEGACY_KERAS=1 $(BIN)/python -m sinelib.tools.reference_tf1 --transplant --steps 300 \
	  --markdown benchmarks/transplant.md

## extra-update: the held-out loss after the original's number of updates and after the port's
## one more, for experiments 1 and 6 at seed 0, into benchmarks/extra_update.md (~8 min)
extra-update: install
	$(BIN)/python -m benchmarks.extra_update exp1 exp6 --markdown benchmarks/extra_update.md

## notebooks: execute every notebook and every solutions notebook in place (stored outputs, no
## widget state, each cell's execution time, which the README's course table reads), for committing
notebooks: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=False \
	  notebooks/*.ipynb notebooks/solutions/*.ipynb

.PHONY: controls seeds autoregressive atlas figures

## controls: train the control runs at seed 0 that the study declares (sinelib/study/
## declarations.py: experiment 4 without clipping; 3.1 and 5 (small) at twice the budget) into
## sinelib/pretrained/controls: histories and manifests, no weights
controls: install
	$(BIN)/python -m sinelib control --all

## seeds: train every experiment at the seeds of its spread (1-4; exp4: 1-2, with and without
## clipping) at its full budget: histories and manifests into sinelib/pretrained/controls
## (hours; an interrupted run resumes from its checkpoint in runs/)
seeds: install
	$(BIN)/python -m sinelib control --spread

## autoregressive: train the one-step network rolled forward against experiment 3 (~2 min)
autoregressive: install
	$(BIN)/python -m sinelib autoregressive

## atlas: measure every shipped network and baseline against frequency, horizon step and
## input noise into sinelib/pretrained/atlas.json (minutes)
atlas: install
	$(BIN)/python -m sinelib atlas

## figures: redraw every PNG in figures/ and the README's generated tables, from shipped files
## (after make atlas when the weights changed)
figures: install
	$(BIN)/python -m sinelib figures --out figures
	$(BIN)/python -m sinelib readme

## clean: remove training runs, the built book and test caches (never the virtual environment)
clean:
	rm -rf runs build .pytest_cache .hypothesis
