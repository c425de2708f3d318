# AI Gateway. `make run` starts gatewayd on 127.0.0.1:8000 with ./manifests;
# `make test` runs every test (what CI runs).
GO      ?= go
BIN     ?= bin
PKGS    := ./...
# Fuzz targets run briefly on every `make test`; run longer by hand with
# `make fuzz FUZZTIME=5m`.
FUZZTIME ?= 5s
FUZZ_TARGETS := \
	./api/v1alpha1:FuzzLoad \
	./dataplane/sse:FuzzReader \
	./dataplane/providers/anthropic:FuzzStreamDecoder \
	./dataplane/providers/gemini:FuzzStreamGemini \
	./dataplane/providers/azure:FuzzStreamFilter \
	./dataplane/providers/cohere:FuzzStreamCohere \
	./dataplane/providers/bedrock:FuzzStreamConverse \
	./dataplane/dialect/anthropic:FuzzParseRequest \
	./dataplane/dialect/anthropic:FuzzStream \
	./dataplane/dialect/gemini:FuzzParseRequest \
	./dataplane/dialect/gemini:FuzzStream \
	./dataplane/dialect/responses:FuzzParseRequest \
	./dataplane/dialect/responses:FuzzStream

.PHONY: all build run test unit fuzz lint vet fmt clean bench

all: build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN)/ ./cmd/...

run: build
	$(BIN)/gatewayd

test: lint ui-deps unit fuzz

# GATEWAY_UI_E2E=1: the browser tests (ui/web TestBrowser) fail instead of
# skipping when Chromium or playwright-core is missing.
unit: ui-deps
	GATEWAY_UI_E2E=1 E2E_CHROMIUM=$(CHROMIUM) $(GO) test -race -count=1 $(PKGS)

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w .

clean:
	rm -rf $(BIN)

# Load benchmark: gateway vs a minimal fasthttp proxy in front of the same mock
# upstream, interleaved. BENCH_ARGS="-duration 2s -conc 64" to narrow it.
BENCH_ARGS ?=
bench:
	$(GO) run ./hack/bench $(BENCH_ARGS)

# Swagger UI for /docs. ui/swagger/dist is committed, so `go build`, `go test`
# and `make run` need no npm; this target refreshes it from the swagger-ui-dist
# release pinned (with its integrity hash) in ui/swagger/package.json and
# package-lock.json. To upgrade: change the pin there, run
# `npm install --ignore-scripts --omit-lockfile-registry-resolved` in
# ui/swagger, then `make swagger-ui`, and commit dist/.
SWAGGER_UI       := ui/swagger
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png \
	LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt

.PHONY: swagger-ui
swagger-ui:
	cd $(SWAGGER_UI) && npm ci --ignore-scripts --no-audit --no-fund
	rm -rf $(SWAGGER_UI)/dist && mkdir -p $(SWAGGER_UI)/dist
	cd $(SWAGGER_UI)/node_modules/swagger-ui-dist && cp $(SWAGGER_UI_FILES) $(CURDIR)/$(SWAGGER_UI)/dist/
	cd $(SWAGGER_UI) && node -p "require('swagger-ui-dist/package.json').version" > dist/VERSION

# Browser tests of the web UI (ui/web TestBrowser, scripts in ui/e2e):
# playwright-core from npm, pinned in ui/e2e/package-lock.json, driving
# Debian's Chromium (Playwright's own browser download is not used). `make
# test` installs both; a plain `go test ./...` skips the browser tests when
# they are missing. npm ci runs again only when the lock file changes.
UI_E2E   := ui/e2e
CHROMIUM ?= /usr/bin/chromium

.PHONY: ui-deps
ui-deps: $(UI_E2E)/node_modules/.package-lock.json
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium; \
	fi

$(UI_E2E)/node_modules/.package-lock.json: $(UI_E2E)/package.json $(UI_E2E)/package-lock.json
	cd $(UI_E2E) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@
