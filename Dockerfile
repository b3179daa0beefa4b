# One image for every role: `npm start` (the supervisor: migrations, then API_PROCESSES API
# processes and one worker process; set API_PROCESSES to the container's CPU limit, node counts
# the host's cores), or `npm run api`, `npm run worker`, `npm run migrate` as the command, one
# process each (see docker-compose.yml).
FROM node:20-bookworm-slim

WORKDIR /app

# There is no build step: tsx (a runtime dependency) runs the TypeScript sources directly.
# devDependencies are installed too, so the same image can run `npm test` and
# `npm run typecheck`; NODE_ENV is set only afterwards, because NODE_ENV=production would make
# `npm ci` skip them. Dependencies come first so a source change does not reinstall them.
# --ignore-scripts: the project needs no install scripts (npm 11 on developer machines does
# not run them either), and the slim image has no compiler for native builds.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# Sources stay owned by root: the service runs as `node` and cannot modify its own code.
# tsx keeps its compile cache under the OS temp dir, which `node` can write.
COPY . .

# npm runs scripts with `sh -c`; Debian's sh (dash) does not pass SIGTERM on to the script,
# so `docker stop` would kill the service without its graceful shutdown. bash execs the single
# command, npm forwards the signal to it, and the service drains before it exits.
# The heap cap keeps a role under ~200 MB RSS under load (README, Benchmarks); NODE_OPTIONS is
# inherited, so under `npm start` it caps each of the supervisor's processes.
ENV NODE_ENV=production \
  NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16" \
  NPM_CONFIG_UPDATE_NOTIFIER=false \
  NPM_CONFIG_SCRIPT_SHELL=/bin/bash

USER node
EXPOSE 3000
CMD ["npm", "start"]
