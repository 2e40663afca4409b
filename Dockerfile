# syntax=docker/dockerfile:1
# extend-mock: a static binary on distroless/static, nothing else in the image.
#
#   docker build -t extend-mock:local .
#   docker run --rm -p 8080:8080 extend-mock:local
#
# tests/cli/image.rs builds the binary with the same command and proves that it
# runs alone from an empty folder with only the variables set below.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY fixtures ./fixtures
# The demo page's files, compiled into the binary.
COPY ui ./ui
# The OpenAPI document served at /_mock/openapi.json is compiled in.
COPY openapi ./openapi
# The README and the docs/ pages served at /_mock/docs are compiled in.
COPY README.md ./
COPY docs ./docs
# Cargo.toml declares the criterion bench, and cargo reads every declared
# target's path before building any (tests/cli/image.rs checks this list).
COPY benches ./benches
# glibc, statically linked: no dynamic loader or shared library in the image.
RUN target="$(rustc -vV | sed -n 's/^host: //p')" \
 && RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --bin extend-mock --target "$target" \
 && cp "target/$target/release/extend-mock" /extend-mock

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="extend-mock" \
      org.opencontainers.image.description="A local, stateful emulator of the Extend document-processing API" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /extend-mock /extend-mock
ENV EXTEND_MOCK_HOST=0.0.0.0 \
    EXTEND_MOCK_PORT=8080
EXPOSE 8080
USER nonroot:nonroot
# No shell or curl in the image: the binary checks itself.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/extend-mock", "healthcheck"]
ENTRYPOINT ["/extend-mock"]
