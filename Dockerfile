# syntax=docker/dockerfile:1
#
# The single `wayfarer` binary; docker-compose.yml runs each role (migrate, api, relay,
# project) from this one image.
#
# The Rust version: Cargo.lock pins crates that need rustc >= 1.89 (async-graphql 7.2.1,
# uuid 1.29), so rust:1.85 cannot build it. 1.95 is the toolchain the project is developed
# and tested with.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
# rdkafka builds its bundled librdkafka with configure/make; opensearch uses native-tls
# (OpenSSL). The rust:*-bookworm image already has gcc, make, pkg-config and libssl-dev;
# installing them again is a no-op that documents the requirement.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# BuildKit cache mounts keep the registry and target/ between builds; the binary is copied
# out of the cached target/ because cache mounts are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p wayfarer-infra --bin wayfarer \
 && install -D -m 0755 target/release/wayfarer /out/wayfarer

FROM debian:bookworm-slim AS runtime
# libssl3 + ca-certificates for TLS; curl only for the container healthchecks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/wayfarer --create-home wayfarer
COPY --from=build /out/wayfarer /usr/local/bin/wayfarer
COPY infra/demo-data /usr/share/wayfarer/demo-data
USER wayfarer
WORKDIR /var/lib/wayfarer
ENV RUST_LOG=info
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/wayfarer"]
CMD ["--help"]
