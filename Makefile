# Every target that needs Python depends on the virtual environment, so a fresh clone only needs
# `make train` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= configs/default.yaml
NAME := $(basename $(notdir $(CONFIG)))
MODEL ?= artifacts/default
PACKAGES ?= artifacts/default artifacts/en-de artifacts/en-fr artifacts/fr-en
QUANTIZE ?= none int8 bf16
SPLIT ?= test
BEAM ?= 5
TEXT ?= Ein Mann fährt mit dem Fahrrad über eine Brücke.
HOST ?= 127.0.0.1
PORT ?= 8080
WORKERS ?= 1
THREADS ?= 32
ROUTE_PAIRS ?= false
DEVICE ?= cpu
WPT_DEV ?= $(abspath ../shared/data/alignment/en-fr-wpt03)
PAIRS_TO_ALIGN ?= $(if $(PAIRS),$(PAIRS),$(WPT_DEV)/dev.src-tgt)
GOLD ?= $(if $(PAIRS),,$(WPT_DEV)/dev.gold)
RECIPE ?= recipe
export MULTI30K_MIRROR ?= $(abspath ../shared/data/multi30k)
export MULTI30K_TASK2_MIRROR ?= $(abspath ../shared/data/multi30k-task2)
MONO_LANG ?= en
HELDOUT ?= $(abspath ../shared/data/multi30k-heldout-sources)
HELDOUT_SETS := test_2017_flickr test_2018_flickr test_2017_mscoco
HELDOUT_OUT ?= experiments/heldout
FINAL ?= best-de-en
# $(call package,NAME,CONFIG): train CONFIG into artifacts/NAME unless that holds the scored export of its finished
# run (training.export.scored_export, the alignment recipe's rule too); a killed run resumes, a killed export redoes
package = $(PY) -m training.train --config $(2) --out artifacts/$(1) --if-needed
# $(call distil_corpus,TEACHER,OUT): artifacts/TEACHER's beam-5 translations of the Multi30k training German, int8
# weights (as task2-bt), as the training pairs of a distilled student; resumable
distil_corpus = $(PY) -m training.backtranslate --forward --model artifacts/$(1) --input data/multi30k/train.de \
	--quantize int8 --out $(2)
BT_STUDY := $(basename $(notdir $(wildcard configs/bt-study/de-en-bt-*.yaml configs/bt-study/de-en-subword.yaml)))
BT_SYSTEMS := de-en-8ep-seed2 $(BT_STUDY)  # compared with de-en-8ep: a second sample of it, then every arm

help:  ## every target with one line (this list, read from the Makefile)
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

.PHONY: help docs install data train export evaluate translate heatmap serve bench bench-serve bench-batching sweep runs average bench-data bench-abuse checkpoint-levers alignment-eval alignment-recipe general-aligners cheap-path guided-links markup-wpt markup-live glossary-eval own-links link-agreement task2-mono backtranslate task2-bt bt-study kd-study recipe-de-en recipe-de-en-report distil-de-en heldout paired-bs bench-cost new-text-vocab test lint format clean

install: $(VENV)/.installed  ## create .venv: torch==2.13.0 (CPU) and this project with its dev extras

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

data: install  ## fetch and verify Multi30k for CONFIG's language pair
	$(PY) -m training.multi30k --config $(CONFIG)

train: install  ## train CONFIG, export artifacts/<config name>/, print test_2016_flickr BLEU and chrF
	$(PY) -m training.train --config $(CONFIG)

export: install  ## export CONFIG's best checkpoint to artifacts/<config name>/ and score it on test_2016_flickr (no training)
	$(PY) -m training.train --config $(CONFIG) --export-only

evaluate: install  ## BLEU/chrF of MODEL (several: an ensemble; default artifacts/<config name>) on CONFIG's SPLIT (valid or test); report in runs/<name>/eval/
	$(PY) -m training.evaluate --config $(CONFIG) --split $(SPLIT) --beam-size $(BEAM) \
		$(if $(filter command line environment,$(origin MODEL)),--model $(MODEL))

translate: install  ## translate stdin with MODEL
	$(PY) -m translator translate --model $(MODEL) --beam-size $(BEAM)

heatmap: install  ## alignment heatmap of TEXT as heatmap.png
	$(PY) -m translator heatmap --model $(MODEL) --text "$(TEXT)" --out heatmap.png

serve: install  ## production server (gunicorn gthread) for MODEL (several packages or folders of them: one server for all their pairs) on HOST:PORT
	$(PY) -m serve --model $(MODEL) --host $(HOST) --port $(PORT) --workers $(WORKERS) --threads $(THREADS) \
		--device $(DEVICE)

bench: install  ## training tokens/s, decoding speed and BLEU (fp32, int8, bf16), package size; JSON in bench/results/
	$(PY) -m bench.bench --model $(MODEL) --config $(CONFIG)

bench-data: install  ## input pipeline at 100k, 1M, 5M synthetic pairs (SIZES), plain and guided: encoding pairs/s, shard size, peak RSS, first batch
	$(PY) -m bench.bench_data --guided --sizes $(or $(SIZES),100000 1000000 5000000)

bench-abuse: install  ## slow connections, floods of large requests and memory over floods against a real server on 127.0.0.1
	$(PY) -m bench.bench_abuse --model $(MODEL) --workers $(WORKERS) --threads $(THREADS)

bench-serve: install  ## one server for PACKAGES (or MODEL), each of QUANTIZE (fp32, int8, bf16): paragraphs and sentences of mixed pairs at 1, 8, 32 clients; JSON in bench/results/
	$(PY) -m bench.serve_bench --model $(if $(filter command line environment,$(origin MODEL)),$(MODEL),$(PACKAGES)) \
		--quantize $(QUANTIZE) --workers $(WORKERS) --threads $(THREADS) --route-pairs $(ROUTE_PAIRS) --device $(DEVICE)

bench-batching: install  ## decode time per call against batch size for PACKAGES (or MODEL), int8, one thread, and the many/one-client ratio decoding allows; JSON in bench/results/
	$(PY) -m bench.bench_batching --model $(if $(filter command line environment,$(origin MODEL)),$(MODEL),$(PACKAGES))

sweep: install  ## beam size x length penalty of MODEL (several: an ensemble) on val; rows go to experiments/results.jsonl
	$(PY) -m experiments.sweep --model $(MODEL) --split val --beams 1 3 5 10 --alphas 0 0.6 1.0 1.5

runs: install  ## validation BLEU per epoch and training time of runs/<config name>
	$(PY) -m experiments.runs runs/$(NAME)

average: install  ## average the last N (default 5) epoch checkpoints of CONFIG's run into runs/<name>/checkpoints/averaged.ckpt
	$(PY) -m training.average --run runs/$(NAME) --last $(or $(N),5) --out runs/$(NAME)/checkpoints/averaged.ckpt

checkpoint-levers: install  ## val BLEU of CONFIG's run: best.ckpt vs averages of the last 2/3/5 epochs vs an ensemble of the last 3
	PY=$(PY) bash experiments/checkpoint_levers.sh $(NAME)

alignment-eval: install  ## AER of eflomal and of the en-fr/fr-en attention on the WPT 2003 dev pairs; rows to experiments/results.jsonl
	$(PY) -m training.multi30k --config configs/en-fr.yaml
	$(PY) -m experiments.eflomal_baseline
	$(PY) -m experiments.alignment_aer --forward $(or $(FORWARD),artifacts/en-fr) --backward $(or $(BACKWARD),artifacts/fr-en)

alignment-recipe: install  ## the best alignment recipe for PAIRS (default the WPT dev pairs): both guided directions trained on Multi30k + PAIRS (CONTINUE="EN_FR FR_EN": continued from those packages for EPOCHS; UPSAMPLE=1: the new pairs drawn as often as from scratch; RULE="--lr-scale S --new-weight W ...": the rest of the rule), links in runs/<RECIPE>-links.txt; with GOLD, AER beside eflomal
	$(PY) -m training.multi30k --config configs/en-fr.yaml
	$(PY) -m experiments.alignment_recipe --pairs $(PAIRS_TO_ALIGN) --name $(RECIPE) $(if $(GOLD),--gold $(GOLD)) \
		$(if $(MORE_PAIRS),--more-pairs $(MORE_PAIRS)) $(if $(CONTINUE),--continue-from $(CONTINUE) --epochs $(or $(EPOCHS),2) $(if $(UPSAMPLE),--upsample) $(RULE))

general-aligners: install  ## the general guided en-fr and fr-en packages that the recipe's cheap path continues (configs/align/, Multi30k alone): artifacts/general-en-fr, artifacts/general-fr-en
	$(PY) -m training.multi30k --config configs/en-fr.yaml
	$(PY) -m experiments.cheap_path --general-only

cheap-path: install  ## the cheap path against from scratch on PAIRS with GOLD (default the WPT dev pairs; MORE_PAIRS join the corpus): the general packages, then recipe runs RECIPE, RECIPE-s2, RECIPE-cont<E>[-s2] for EPOCHS (default "1 2 4"; UPSAMPLE=1: the new pairs drawn as often as from scratch, runs RECIPE-up<E>; RULE="--lr-scale S --new-weight W ...": the cheap rows' rule; LABEL=L: runs RECIPE-L<E>); AER against training seconds, sample means, the goal
	$(PY) -m training.multi30k --config configs/en-fr.yaml
	$(PY) -m experiments.cheap_path --pairs $(PAIRS_TO_ALIGN) --gold $(GOLD) --name $(RECIPE) \
		$(if $(MORE_PAIRS),--more-pairs $(MORE_PAIRS)) $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(UPSAMPLE),--upsample) \
		$(RULE) $(if $(LABEL),--label $(LABEL))

guided-links: install  ## eflomal word links of CONFIG's training pairs, for guided alignment (data.alignment_links)
	$(PY) -m training.multi30k --config $(CONFIG)
	$(PY) -m training.guided --config $(CONFIG)

markup-wpt: install  ## tag placement on the WPT dev pairs with random tags: exact span match, token F1, tags kept, well-formed, for the length-proportional baseline, each LINKS (NAME=FILE, 0-indexed links of the dev pairs) and each MODELS (NAME=PACKAGE[,REVERSE]: links and attention rows as the service places tags)
	$(PY) -m experiments.markup_wpt --links $(LINKS) $(if $(MODELS),--model $(MODELS))

markup-live: install  ## Multi30k val of MODEL's pair with random tags through the HTML path (REVERSE=package: also by both directions' links): BLEU with tags stripped vs untagged, structure accuracy, XML-BLEU against eflomal-projected references
	$(PY) -m experiments.markup_live --model $(MODEL) $(if $(REVERSE),--reverse $(REVERSE))

own-links: install  ## word links of MODEL's own translations of 200 val sentences (beam 5) by argmax and mutual against eflomal's intersection: precision, recall, the most frequent disagreements
	$(PY) -m experiments.own_output_links --model $(MODEL)

link-agreement: install  ## mutual word links of MODEL against those of AGAINST on 200 force-aligned val pairs: precision and recall (does a new model keep the alignment?)
	$(PY) -m experiments.link_agreement --model $(MODEL) --against $(AGAINST)

glossary-eval: install  ## glossary methods (alignment replacement, constrained decoding) with no, real and random terms on MODEL's pair of Multi30k val: term accuracy, window overlap, 1-TERm, masked BLEU/chrF, ms/sentence (batch 64, beam 5)
	$(PY) -m experiments.glossary_eval --model $(MODEL)

new-text-vocab: install  ## how PAIRS' words (default the WPT dev pairs) fare in the SentencePiece model of SPM (a package, or a run's spm folder with PAIR=en-fr): pieces per new and known word; with LINKS="NAME=FILE …", AER of links touching a new word and of the rest
	$(PY) -m experiments.new_text_vocab --spm $(SPM) $(if $(PAIR),--pair $(PAIR)) --pairs $(PAIRS_TO_ALIGN) \
		$(if $(GOLD),--gold $(GOLD)) $(foreach l,$(LINKS),--links $(l))

task2-mono: install  ## Multi30k task 2's captions of MONO_LANG (en or de) that are new text, in data/mono/task2.MONO_LANG (monolingual, for back-translation)
	$(PY) -m training.multi30k_task2 --lang $(MONO_LANG) --out data/mono/task2.$(MONO_LANG)

backtranslate: install  ## translate INPUT (target-language text, one line each) with the reverse package MODEL into OUT: synthetic source<TAB>line, resumable (SAMPLE=1: sampled, not beam; FORWARD=1: line<TAB>translation, for distillation; DEVICE=cuda: on a GPU; BT_QUANTIZE=int8|bf16|none: those weights, default the package's)
	$(PY) -m training.backtranslate --model $(MODEL) --input $(INPUT) --out $(OUT) $(if $(SAMPLE),--sample) $(if $(FORWARD),--forward) --device $(DEVICE) $(if $(BT_QUANTIZE),--quantize $(BT_QUANTIZE))

task2-bt: install  ## back-translate Multi30k task 2's new English captions with artifacts/en-de (trained first when missing) into runs/bt/task2.de-en.tsv (SAMPLE=1: sampled, into runs/bt/task2.de-en.sampled.tsv); int8 weights (as good as fp32 on val, about 3x faster); resumable
	$(PY) -m training.multi30k --config configs/en-de.yaml
	$(call package,en-de,configs/en-de.yaml)
	$(PY) -m training.multi30k_task2 --lang en --out data/mono/task2.en
	$(PY) -m training.backtranslate --model artifacts/en-de --input data/mono/task2.en --quantize int8 \
		--out runs/bt/task2.de-en$(if $(SAMPLE),.sampled).tsv $(if $(SAMPLE),--sample)

bt-study: install  ## the back-translation choices at reduced size (configs/bt-study/, 8 epochs): both back-translations, every arm trained (a finished one skipped; `OMP_NUM_THREADS=1 make -j2 bt-study`: two at once), each against de-en-8ep on val by paired bootstrap
	$(MAKE) --no-print-directory task2-bt
	$(MAKE) --no-print-directory task2-bt SAMPLE=1
	$(MAKE) --no-print-directory $(addprefix bt-arm-,de-en-8ep $(BT_SYSTEMS))
	$(PY) -m experiments.paired_bleu --ref data/multi30k/val.en --baseline runs/de-en-8ep/eval/valid.hyp.en \
		$(foreach name,$(BT_SYSTEMS),--system runs/$(name)/eval/valid.hyp.en)

bt-arm-%: install
	$(call package,$*,configs/bt-study/$*.yaml)

bt-arm-de-en-bt-1to2-ft bt-arm-de-en-bt-1to2-more: bt-arm-de-en-bt-tagged-1to2  # they continue that arm's package

kd-study: install  ## distillation at reduced size: the student configs/bt-study/de-en-kd.yaml (8 epochs) on the beam-5 translations of the training German by the bt-study teacher de-en-bt-beam-tagged; student at beam 5 and 1 and teacher at beam 1 against the teacher at beam 5 on val (paired bootstrap)
	$(MAKE) --no-print-directory bt-arm-de-en-bt-beam-tagged
	$(call distil_corpus,de-en-bt-beam-tagged,runs/distill-study/train.de-en.tsv)
	$(call package,de-en-kd,configs/bt-study/de-en-kd.yaml)
	for name in de-en-kd de-en-bt-beam-tagged; do \
		$(PY) -m translator translate --model artifacts/$$name --beam-size 1 --no-split < data/multi30k/val.de \
			> runs/$$name/eval/valid.beam1.hyp.en.part && mv runs/$$name/eval/valid.beam1.hyp.en.part \
			runs/$$name/eval/valid.beam1.hyp.en || exit 1; done
	$(PY) -m experiments.paired_bleu --ref data/multi30k/val.en --baseline runs/de-en-bt-beam-tagged/eval/valid.hyp.en \
		$(foreach h,de-en-kd/eval/valid.hyp.en de-en-kd/eval/valid.beam1.hyp.en de-en-bt-beam-tagged/eval/valid.beam1.hyp.en,--system runs/$(h))

recipe-de-en: install  ## the final de->en model from a fresh clone, every step resumable: en-de package, back-translations, artifacts/best-de-en (configs/best-de-en.yaml, scored once on test_2016_flickr), its held-out translations
	$(MAKE) --no-print-directory recipe-de-en-model
	$(MAKE) --no-print-directory heldout MODEL=artifacts/best-de-en

recipe-de-en-model: install  # the recipe's model: its back-translations, then configs/best-de-en.yaml
	$(MAKE) --no-print-directory task2-bt
	$(call package,best-de-en,configs/best-de-en.yaml)

recipe-de-en-report: install  ## the recipe model's final row against today's model artifacts/default (`make train`): paired bootstrap on val, served cost side by side (fp32, beam 5, batch 64), mutual-link agreement on 200 val pairs (FINAL=another run name)
	$(MAKE) --no-print-directory paired-bs REF=data/multi30k/val.en BASELINE=runs/default/eval/val.hyp.en \
		SYSTEMS=runs/$(FINAL)/eval/valid.hyp.en
	$(MAKE) --no-print-directory bench-cost MODEL=artifacts/$(FINAL) AGAINST=artifacts/default BEAM=5 AGAINST_BEAM=
	$(MAKE) --no-print-directory link-agreement MODEL=artifacts/$(FINAL) AGAINST=artifacts/default

distil-de-en: install  ## after recipe-de-en: the student artifacts/best-de-en-student (configs/best-de-en-student.yaml) on artifacts/best-de-en's beam-5 translations of the training German, for beam 1; resumable
	$(MAKE) --no-print-directory recipe-de-en-model
	$(call distil_corpus,best-de-en,runs/distill/train.de-en.tsv)
	$(call package,best-de-en-student,configs/best-de-en-student.yaml)

heldout: install  ## translate the German sides of the held-out Multi30k test sets with MODEL (named: no default) (beam 5, as served) into HELDOUT_OUT/<set>.de-en.hyp
	$(if $(filter command line environment,$(origin MODEL)),,$(error name the package: make heldout MODEL=artifacts/...))
	mkdir -p $(HELDOUT_OUT)
	for set in $(HELDOUT_SETS); do \
		$(PY) -m translator translate --model $(MODEL) --beam-size 5 --no-split < $(HELDOUT)/$$set.de \
			> $(HELDOUT_OUT)/$$set.de-en.hyp.part && mv $(HELDOUT_OUT)/$$set.de-en.hyp.part $(HELDOUT_OUT)/$$set.de-en.hyp || exit 1; done

paired-bs: install  ## sacreBLEU's paired bootstrap of SYSTEMS (hypothesis files) against BASELINE on REF: BLEU and chrF with 95 % intervals and p-values
	$(PY) -m experiments.paired_bleu --ref $(REF) --baseline $(BASELINE) $(foreach s,$(SYSTEMS),--system $(s))

bench-cost: install  ## served cost of MODEL against AGAINST side by side in one run: same val sentences, fp32, BEAM (AGAINST_BEAM), batch 64, interleaved runs; ms/sentence, ratio, BLEU
	$(PY) -m bench.bench_cost --model $(MODEL) --against $(or $(AGAINST),artifacts/default) --beam $(BEAM) \
		$(if $(AGAINST_BEAM),--against-beam $(AGAINST_BEAM))

test: install  ## the whole test suite (CPU), one pytest-xdist worker per core, each file in one worker, one torch thread each
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n auto --dist loadfile

docs: install  ## build docs/ with MkDocs into site/, strict: a broken link or reference fails
	$(VENV)/bin/mkdocs build --strict

lint: install  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install  ## ruff format and ruff check --fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:  ## remove runs/, artifacts/ and site/
	rm -rf runs artifacts site .pytest_cache
