# dutybot — the two set-up commands in README.md are `make run` and `make test`.
GO      ?= go
BIN     ?= bin/dutybot
PKGS    := ./...

.PHONY: run test lint build bench fuzz fuzz-ci fmt clean

## run: the demo office (fresh SQLite database, fake WeCom, APNs and FCM in-process, no Redis); open http://127.0.0.1:8080/demo/
run:
	$(GO) run ./cmd/dutybot demo

## test: every test, with the race detector (Redis tests run when DUTYBOT_TEST_REDIS is set)
test:
	$(GO) test -race -count=1 $(PKGS)

## lint: formatting and vet
lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then printf "gofmt needed:\n%s\n" "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## build: the binary at bin/dutybot
build:
	$(GO) build -o $(BIN) ./cmd/dutybot

## bench: the Go benchmarks (see docs/benchmarks.md for the whole-system load run)
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## fuzz: each fuzz target for FUZZTIME (default 30s); new failing inputs land in the package's testdata/fuzz
FUZZTIME ?= 30s
FUZZ_TARGETS := ./bot/wecom:FuzzDecryptRoundTrip ./bot/wecom:FuzzParseCallback ./roster:FuzzParseDates ./roster:FuzzParseImport ./bot:FuzzRoute
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## fuzz-ci: each target for a fixed number of inputs (about 15 s each here). A count, not a
## duration: a duration that runs out while a worker is busy fails with "context deadline exceeded".
FUZZ_CI := ./bot/wecom:FuzzDecryptRoundTrip:150000x ./bot/wecom:FuzzParseCallback:300000x \
	./roster:FuzzParseDates:150000x ./roster:FuzzParseImport:150000x ./bot:FuzzRoute:2000x
fuzz-ci:
	@for t in $(FUZZ_CI); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$${rest##*:}; \
		echo "fuzz $$name ($$pkg), $$n"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $$n $$pkg || exit 1; \
	done

fmt:
	gofmt -w $$(find . -name '*.go' -not -path './.git/*')

clean:
	rm -rf bin
