# Minimal rspec-puppet setup (Debian's ruby-rspec-puppet, no puppetlabs_spec_helper): the module
# path is a temporary directory of symlinks to this module and to Debian's stdlib
# (puppet-module-puppetlabs-stdlib; EC2GW_STDLIB overrides where it is).
require 'fileutils'
require 'tmpdir'
require 'rspec-puppet'

stdlib = ENV.fetch('EC2GW_STDLIB', '/usr/share/puppet/modules/stdlib')
raise "puppetlabs-stdlib not found at #{stdlib}" unless File.exist?(File.join(stdlib, 'metadata.json'))

fixtures = Dir.mktmpdir('ec2gw-puppet-spec-')
File.symlink(File.expand_path('..', __dir__), File.join(fixtures, 'ec2gw'))
File.symlink(stdlib, File.join(fixtures, 'stdlib'))
at_exit { FileUtils.rm_rf(fixtures) }

RSpec.configure do |c|
  c.setup_fixtures = false # no spec/fixtures in the source tree: the module path is above
  c.module_path = fixtures
  c.strict_variables = true
  c.manifest = File.join(fixtures, 'site.pp')
  c.default_facts = {
    'os' => { 'family' => 'Debian', 'name' => 'Debian', 'release' => { 'major' => '12', 'full' => '12.8' } },
    'osfamily' => 'Debian',
    'operatingsystem' => 'Debian',
    'networking' => { 'fqdn' => 'ec2gw.example.org' },
  }
end
