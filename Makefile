# Switchyard: the two commands in README.md are `make run` and `make test`.
SWIFT ?= swift

.PHONY: run test build build-release deps check-abi e2e fuzz e2e-asan bench clean

## Install what is missing, build (release), and serve on the embedded default config.
run: deps build-release
	.build/release/switchyard serve

## Install what is missing and run every test: Swift tests, the ABI checks, the SDK end-to-end tests.
test:
	scripts/test.sh

deps:
	scripts/install-deps.sh

build:
	$(SWIFT) build

build-release:
	$(SWIFT) build -c release

check-abi:
	scripts/check-abi.sh

e2e: build
	scripts/e2e.sh

## Fuzz the HTTP parser (FUZZ_SECONDS, default 60); the e2e tests under AddressSanitizer. docs/testing.md.
fuzz:
	scripts/fuzz.sh

e2e-asan:
	scripts/e2e-asan.sh

## The benchmark (not part of the tests): bench/run.sh, see bench/README.md.
bench:
	bench/run.sh --name $(or $(NAME),run)

clean:
	rm -rf .build .build-asan .build-fuzz .venv-e2e .venv-litellm
