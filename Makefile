# The two commands a newcomer needs: `make demo` and `make test`.
SWIFT ?= swift

.PHONY: deps build demo test quick bench clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

# Runs the bundled example project through Slipway.
demo: build
	@scripts/demo

# Every test: unit, CLI end to end, sandbox, deploy. First Package.swift is held to the imports:
# a target that imports what it does not declare, or declares what it does not import, fails.
# The suites tagged cluster (several Slipway processes and servers at once) and heavy
# (toolchain images and real projects on them, a fleet under rolling deploys) run after the
# others, each kind on its own: they keep both cores busy. The suites tagged timed (they hold
# Slipway to how soon something happens) run alone too, one test at a time, so no other
# suite's load decides them.
test: deps
	scripts/check-imports
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check=error
	$(SWIFT) test --skip-build --skip "$$(scripts/suites-tagged heavy cluster timed)"
	$(SWIFT) test --skip-build --no-parallel --filter "$$(scripts/suites-tagged timed)"
	$(SWIFT) test --skip-build --filter "$$(scripts/suites-tagged cluster)"
	$(SWIFT) test --skip-build --filter "$$(scripts/suites-tagged heavy)"

# The quick loop: only the suites tagged small (no sandbox, no `slipway` binary, no end to end);
# `scripts/suites-tagged small medium` gives a wider filter.
quick:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter "$$(scripts/suites-tagged small)"

# Benchmarks against the usual tools (not part of the tests); figures go to docs/benchmarks.md.
bench: deps
	benchmarks/run

clean:
	rm -rf .build
