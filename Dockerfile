# The service's image, in three stages: `build` compiles the TypeScript once (`npm run build`:
# tsc into dist/, with the non-TypeScript files beside it), `test` is that stage kept whole for
# running the test suite, and `runtime` (the last stage, so `docker build .` makes it) holds
# production dependencies and the compiled output only, and runs it with plain `node`.
#
# One image for every role: the default command is the supervisor (migrations, then
# API_PROCESSES API processes and one worker process; set API_PROCESSES to the container's CPU
# limit, node counts the host's cores), or `node dist/bin/api.js`, `node dist/bin/worker.js`,
# `node dist/bin/migrate.js` as the command, one process each (see docker-compose.yml).
#
# Node 24 (maintenance LTS, supported until April 2028) on Debian 13 (trixie, the current
# stable): node 20 reached end of life in April 2026. Node 26 became Active LTS only in late
# October 2026; 24 is the line the dependencies have been run on longest. CI still runs the code
# on Node 20, so the sources use no API newer than 20. Another line:
# `--build-arg NODE_IMAGE=node:26-trixie-slim`.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a source change does not reinstall them. --ignore-scripts: the project
# needs no install scripts, and the slim image has no compiler for native builds.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# `docker build --target test -t evently:test .`, then, with PostgreSQL and Redis on the host:
# `docker run --rm --network host evently:test` (the README's test command; set
# TEST_DATABASE_URL / TEST_REDIS_URL to test against others). Root is fine in a throwaway test
# container, and the tests write caches below /app.
FROM build AS test
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
CMD ["npm", "test"]

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: node as PID 1 gets no default signal actions, so a SIGTERM that comes before the
# service has installed its handlers (while it waits for PostgreSQL, or migrates) would be
# ignored until the orchestrator kills it; tini passes signals on to node, where the default
# applies, and reaps zombies. -s: it still reaps if something else is PID 1 (`docker run --init`).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Production dependencies only; --omit=optional also leaves out what npm would install as
# optional peers (typescript, babel, handlebars: 40 MB) and msgpackr's native extension, which
# only speeds up decoding, which BullMQ does not do (it encodes). package.json stays: its
# "type": "module" makes node load dist/ as ES modules.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force
# Owned by root: the service runs as `node` and cannot modify its own code.
COPY --from=build /app/dist ./dist

# The heap cap keeps a role under ~200 MB RSS under load (README, Benchmarks); NODE_OPTIONS is
# inherited, so under the supervisor it caps each of its processes.
ENV NODE_ENV=production \
  NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16"

USER node
EXPOSE 3000
# node itself, no npm in between: `docker stop`'s SIGTERM reaches the service (through tini),
# which drains before it exits (bin/lifecycle.ts, bin/supervisor.ts).
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
CMD ["node", "dist/bin/start.js"]
