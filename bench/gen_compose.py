#!/usr/bin/env python3
"""Writes the benchmark project: DIR/compose.yaml with N services and DIR/.env.

    bench/gen_compose.py DIR N [layered|chain|tree|none]

Used by bench/config.sh and bench/footprint.sh. Each service merges a shared
x-common anchor, interpolates variables, publishes two ports, mounts a named
volume, a bind and a tmpfs, joins two networks, and has labels and (for the
default `layered` shape) depends_on with conditions.
"""
import os, sys

out, n = sys.argv[1], int(sys.argv[2])
shape = sys.argv[3] if len(sys.argv) > 3 else "layered"
w = []
w.append("""\
name: bench

x-common: &common
  restart: unless-stopped
  init: true
  stop_grace_period: 20s
  logging:
    driver: json-file
    options:
      max-size: 10m
      max-file: "3"
  healthcheck:
    test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1"]
    interval: 10s
    timeout: 3s
    retries: 5
    start_period: 30s
  deploy:
    resources:
      limits:
        cpus: "0.50"
        memory: 256M
  ulimits:
    nofile:
      soft: 20000
      hard: 40000

x-env: &env
  LOG_LEVEL: ${LOG_LEVEL:-info}
  REGION: ${REGION:-eu-west-1}
  OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4317
  FEATURE_FLAGS: ${FEATURE_FLAGS:-search,checkout}

services:
""")
for i in range(1, n + 1):
    s = f"svc-{i:04d}"
    net = f"net-{i % 10}"
    w.append(f"""\
  {s}:
    <<: *common
    image: berth-bench/{s}:${{TAG:-latest}}
    hostname: {s}
    command: ["/app/server", "--listen", ":8080", "--name", "{s}"]
    environment:
      <<: *env
      SERVICE_NAME: {s}
      DATABASE_URL: postgres://app:${{DB_PASSWORD:?DB_PASSWORD must be set}}@db-{i % 50}:5432/{s.replace('-', '_')}
      CACHE_URL: redis://cache-{i % 20}:6379/${{CACHE_DB:-0}}
      WORKERS: "${{WORKERS:-4}}"
      PORT: "8080"
    ports:
      - "127.0.0.1:{20000 + i}:8080"
      - target: 9090
        published: "{30000 + i}"
        host_ip: 127.0.0.1
        protocol: tcp
    volumes:
      - data-{i:04d}:/var/lib/app
      - ./config/{s}:/etc/app:ro
      - type: tmpfs
        target: /tmp
        tmpfs:
          size: 67108864
    networks:
      - {net}
      - shared
    labels:
      com.example.team: team-{i % 7}
      com.example.tier: "{'frontend' if i % 3 == 0 else 'backend'}"
      com.example.index: "{i}"
""")
    if shape == "none":
        deps = []
    elif shape == "chain":        # one long line: each service waits for the one before
        deps = [i - 1] if i > 1 else []
    elif shape == "tree":       # i waits for i-1 and i/2: exponentially many paths
        deps = sorted({j for j in (i - 1, i // 2) if j >= 1})
    elif i <= 10:               # layered: 10 infrastructure services (databases, caches)...
        deps = []
    elif i <= 100:              # ...90 core services that need two of them...
        deps = sorted({1 + i % 10, 1 + (i * 7) % 10})
    else:                       # ...and application services on one infra and two core services
        deps = sorted({1 + i % 10, 11 + i % 90, 11 + (i * 13) % 90})
    if deps:
        w.append("    depends_on:\n")
        for k, j in enumerate(deps):
            cond = "service_healthy" if k == 0 else "service_started"
            w.append(f"      svc-{j:04d}:\n        condition: {cond}\n")
w.append("\nnetworks:\n  shared:\n")
for k in range(10):
    w.append(f"  net-{k}:\n    driver: bridge\n    labels:\n      com.example.segment: \"{k}\"\n")
w.append("\nvolumes:\n")
for i in range(1, n + 1):
    w.append(f"  data-{i:04d}:\n    labels:\n      com.example.owner: svc-{i:04d}\n")
with open(os.path.join(out, "compose.yaml"), "w") as f:
    f.write("".join(w))
with open(os.path.join(out, ".env"), "w") as f:
    f.write("TAG=1.4.2\nDB_PASSWORD=s3cret\nLOG_LEVEL=debug\n")
