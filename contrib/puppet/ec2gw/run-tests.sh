#!/bin/bash
# contrib/puppet/ec2gw/run-tests.sh: the module's static checks and rspec-puppet specs
# (ctest -R puppet_module). puppet-lint, puppet and rspec are Debian's (tools/deps.sh); a
# missing one is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")"
for tool in puppet puppet-lint rspec shellcheck; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (tools/deps.sh installs it)" >&2; exit 1; }
done
echo "== puppet-lint --fail-on-warnings"
puppet-lint --fail-on-warnings manifests
echo "== puppet parser validate"
puppet parser validate manifests/*.pp manifests/*/*.pp
for t in templates/*.epp; do puppet epp validate "$t"; done
echo "== shellcheck files/ec2gw-puppet-conf"
shellcheck files/ec2gw-puppet-conf
echo "== rspec-puppet"
# Not `rspec spec`: only the spec files, never a fixture tree below spec/.
rspec --format progress --pattern 'spec/{classes,defines}/**/*_spec.rb'
