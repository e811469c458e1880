# syntax=docker/dockerfile:1
# Slipway's service in a container: `slipway serve` on port 8080, state in /var/lib/slipway.
#
#   docker build -t slipway .
#   docker run -d --name slipway -p 127.0.0.1:8080:8080 -v slipway:/var/lib/slipway \
#     --privileged --cgroupns=private slipway
#   docker logs slipway      # the API token, printed once at first start
#
# Builds run in nested namespaces (mount, pid, net, uts, ipc, cgroup, and a user namespace on
# the `slipway` ids of /etc/subuid, which the service adds inside the container on first use). Docker's defaults refuse them: its seccomp profile blocks
# unshare/clone with namespace flags, CAP_SYS_ADMIN is dropped (mount, pivot_root) and
# AppArmor's docker-default profile denies mounts. Either run with `--privileged`, or grant
# only what the sandbox needs:
#     --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined
# and, for memory/pid/CPU limits on builds, a writable cgroup v2 subtree of its own:
#     --cgroupns=private   (Docker mounts /sys/fs/cgroup read-only without --privileged; with
#                           only the capabilities above, builds run but without cgroup limits)
# Rootless Docker/Podman: add `--security-opt systempaths=unconfined` so /proc can be mounted
# inside the sandbox. Deploy targets are directories in the container (mount a volume at the
# target path) or ssh:// hosts (mount a key at /root/.ssh).

ARG SWIFT_VERSION=6.3
FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libarchive-dev libzstd-dev zlib1g-dev libsqlite3-dev libseccomp-dev \
      liblzma-dev liblz4-dev libbz2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a source change does not fetch them again (Package.resolved is used
# when the checkout has one).
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY Sources Sources
# SwiftPM checks that every declared target's directory exists, test targets and the queue
# benchmark included.
COPY Tests Tests
COPY benchmarks/QueueBench benchmarks/QueueBench
COPY scripts/static-libs scripts/
# -no-pie: a fixed load address leaves the dynamic loader no pointers to relocate, a third of
# a CLI call's start (docs/benchmarks.md, "Start-up"). Only with the static Swift runtime:
# against the shared one, the loader warns about protected symbols on every start.
# scripts/static-libs: libarchive, SQLite, zlib, libseccomp and libstdc++ linked statically
# too, so slipway needs only glibc's shared libraries and libzstd (threaded only as shared).
RUN scripts/static-libs /tmp/static \
 && swift build -c release --static-swift-stdlib -Xlinker -no-pie -Xlinker --no-export-dynamic --pkg-config-path /tmp/static/pkgconfig \
 && mkdir /out && cp "$(swift build -c release --show-bin-path)/slipway" "$(swift build -c release --show-bin-path)/slipway-sandbox" /out/
# The busybox image's binary is compiled here, where the compiler is, into the recipe's cache;
# the runtime stage's `slipway image build` finds it there and compiles nothing.
RUN apt-get update && apt-get install -y --no-install-recommends curl bzip2 xz-utils patch \
 && rm -rf /var/lib/apt/lists/*
COPY images images
RUN SLIPWAY_CACHE=/out/recipe-cache images/busybox/build /tmp/busybox.tar

FROM debian:bookworm-slim
# slipway links every library but glibc's and libzstd's statically; git snapshots sources; openssh-client
# deploys to ssh:// targets; busybox-static is the container's own healthcheck.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzstd1 git openssh-client busybox-static ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
# slipway finds slipway-sandbox next to itself.
COPY --from=build /out/slipway /out/slipway-sandbox /usr/local/bin/
ENV SLIPWAY_HOME=/var/lib/slipway
# The default build image ("busybox") is made here, before the volume is declared, so a new
# volume starts with it and `docker run` can run a pipeline out of the box. The recipes stay
# in the image for `slipway image build /usr/share/slipway/images/NAME`.
COPY images /usr/share/slipway/images
COPY --from=build /out/recipe-cache /var/cache/slipway-recipes
RUN SLIPWAY_CACHE=/var/cache/slipway-recipes slipway image build /usr/share/slipway/images/busybox
VOLUME /var/lib/slipway
EXPOSE 8080
# SIGTERM (docker stop) shuts down gracefully: requests in flight finish, live log streams end.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["slipway"]
# Listening on all addresses, reads need the token too (see README: Service).
CMD ["serve", "--listen", "0.0.0.0:8080"]
