# NAME
#	Dockerfile - mq serve as a FROM-scratch image holding one static binary
# SYNOPSIS
#	docker build -t mq .
#	docker run -d -p 8485:8485 -v mq-data:/data -e MQ_WWW_TOKEN=... mq
# DESCRIPTION
#	The build stage is Debian 12, the system mq is built and tested on:
#	./build.sh deps --build-only installs the build's packages, then make
#	release links the static build/mq.  The final stage is empty but
#	for /mq and the store directory /data: no shell, no libc, no /etc.
#	mq reads its configuration from MQ_* variables (docs/config.md),
#	asks for no name resolution (addresses are numeric), and answers
#	its own HEALTHCHECK (mq health).  It runs as uid/gid 65534, which
#	owns /data.  See docs/container.md.

FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN ./build.sh deps --build-only \
	&& make -j"$(nproc)" release \
	&& strip build/mq \
	&& mkdir -m 0700 /data \
	&& chown 65534:65534 /data

FROM scratch
COPY --from=build /src/build/mq /mq
COPY --from=build --chown=65534:65534 /data /data
ENV MQ_STORE_PATH=/data/mq.mdb \
	MQ_WWW_IP=0.0.0.0 \
	MQ_WWW_PORT=8485
USER 65534:65534
VOLUME /data
EXPOSE 8485
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
	CMD ["/mq", "health"]
ENTRYPOINT ["/mq", "serve"]
