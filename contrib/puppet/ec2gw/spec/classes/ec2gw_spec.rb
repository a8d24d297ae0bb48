require 'spec_helper'
require 'json'
require 'yaml'

describe 'ec2gw' do
  let(:conf) { '/etc/ec2gw/conf.d' }
  let(:dropin) { "#{conf}/50-puppet.yaml" }
  let(:check) { 'Exec[ec2gw check conf.d]' }

  def rendered(path)
    YAML.safe_load(catalogue.resource('File', path)[:content]) || {}
  end

  context 'with defaults' do
    it { is_expected.to compile.with_all_deps }
    it { is_expected.to contain_package('ec2gw').with(ensure: 'present', configfiles: 'keep') }
    it { is_expected.to contain_service('ec2gwd').with(ensure: 'running', enable: true, provider: nil) }
    it { is_expected.to contain_class('ec2gw::install').that_comes_before('Class[ec2gw::config]') }
    it { is_expected.to contain_class('ec2gw::config').that_comes_before('Class[ec2gw::service]') }
    it { is_expected.not_to contain_file('/etc/ec2gw/service_password') }

    it 'leaves the package files alone' do
      %w[00-daemon 10-compute 20-network 30-image 40-volume 50-metadata].each do |f|
        is_expected.not_to contain_file("#{conf}/#{f}.yaml")
      end
      is_expected.not_to contain_file(conf)
    end

    it 'writes an empty drop-in: every value stays the package one' do
      expect(rendered(dropin)).to eq({})
      expect(catalogue.resource('File', dropin)[:content]).to start_with('# Written by Puppet (ec2gw module, class ec2gw)')
    end

    it 'stages, checks, then writes, and reloads on a change' do
      is_expected.to contain_file("/var/lib/ec2gw-puppet/50-puppet.yaml").that_comes_before(check)
      is_expected.to contain_file(dropin).that_requires(check).that_notifies('Exec[ec2gw reload]')
      is_expected.to contain_file('/var/lib/ec2gw-puppet').with(ensure: 'directory', mode: '0700', purge: true)
      is_expected.to contain_exec('ec2gw check conf.d').with(
        command: '/usr/local/sbin/ec2gw-puppet-conf check /etc/ec2gw/conf.d /var/lib/ec2gw-puppet /usr/sbin/ec2gwd /etc/ec2gw/ec2gw.env true ec2gw',
        unless: '/usr/local/sbin/ec2gw-puppet-conf unchanged /etc/ec2gw/conf.d /var/lib/ec2gw-puppet true',
      ).that_requires('File[/usr/local/sbin/ec2gw-puppet-conf]')
      is_expected.to contain_exec('ec2gw prune conf.d').that_requires(check).that_notifies('Exec[ec2gw reload]')
      is_expected.to contain_exec('ec2gw reload').with(
        command: 'systemctl reload ec2gwd', onlyif: 'systemctl is-active --quiet ec2gwd', refreshonly: true,
      ).that_comes_before('Service[ec2gwd]')
    end

    it 'restarts only for the keys a reload does not apply' do
      is_expected.to contain_file('/var/lib/ec2gw-puppet/restart-keys.json')
        .that_requires(check).that_notifies('Service[ec2gwd]')
      expect(catalogue.resource('File', dropin)[:notify].to_s).not_to include('Service')
    end
  end

  context 'with parameters (as from Hiera)' do
    let(:params) do
      {
        password: 'pw-secret',
        listen_address: '0.0.0.0',
        listen_port: 18_813,
        workers: 4,
        endpoint: 'https://ec2.example.org:8788',
        keystone_url: 'https://keystone.example.org:5000/v3',
        log_format: 'json',
        access_log: '/var/log/ec2gw/access.log',
        limits: { 'max_connections' => 4096 },
        metadata: { 'enabled' => true, 'shared_secret_file' => '/etc/ec2gw/metadata_secret' },
        daemon_settings: { 'paths' => { 'database_pool' => 8 } },
        plugin_settings: { 'compute' => { 'max_count' => 50 } },
        plugins: { 'site' => { 'wrap' => 'compute', 'file' => '/usr/local/lib/ec2gw/site.so' } },
        package_source: '/var/tmp/ec2gw_1.0_amd64.deb',
      }
    end

    it { is_expected.to compile.with_all_deps }
    it { is_expected.to contain_package('ec2gw').with_source('/var/tmp/ec2gw_1.0_amd64.deb') }

    it 'writes the password readable by root and group ec2gw only, checked and restarting' do
      is_expected.to contain_file('/etc/ec2gw/service_password').with(
        owner: 'root', group: 'ec2gw', mode: '0640', show_diff: false,
      ).that_comes_before(check).that_notifies('Service[ec2gwd]')
      res = catalogue.resource('File', '/etc/ec2gw/service_password')
      expect(res[:content]).to eq("pw-secret\n")
      # kept out of reports and logs
      expect(res.sensitive_parameters).to include(:content)
      # and never in conf.d (world-readable) or the staging directory
      catalogue.resources.select { |r| r.type == 'File' && r[:path] =~ %r{\A/(etc/ec2gw/conf\.d|var/lib/ec2gw-puppet)/} }.each do |r|
        expect(r[:content].to_s).not_to include('pw-secret')
      end
    end

    it 'writes only the keys the site set' do
      expect(rendered(dropin)).to eq(
        'listen' => { 'address' => '0.0.0.0', 'port' => 18_813, 'workers' => 4 },
        'limits' => { 'max_connections' => 4096 },
        'ec2' => { 'endpoint' => 'https://ec2.example.org:8788' },
        'paths' => { 'database_pool' => 8 },
        'log' => { 'format' => 'json', 'access_log' => '/var/log/ec2gw/access.log' },
        # the package names an environment variable for the password: unset, one source only
        'keystone' => { 'url' => 'https://keystone.example.org:5000/v3',
                        'service_password_file' => '/etc/ec2gw/service_password',
                        'service_password_env' => nil },
        'metadata' => { 'enabled' => true, 'shared_secret_file' => '/etc/ec2gw/metadata_secret' },
      )
      expect(catalogue.resource('File', dropin)[:content]).to include("  service_password_env: ~\n")
    end

    it 'stages the same content' do
      expect(catalogue.resource('File', '/var/lib/ec2gw-puppet/50-puppet.yaml')[:content])
        .to eq(catalogue.resource('File', dropin)[:content])
    end

    it 'writes plugin_settings as an instance drop-in after the instance files' do
      expect(rendered("#{conf}/90-puppet-compute.yaml")).to eq('instance' => 'compute', 'settings' => { 'max_count' => 50 })
      is_expected.to contain_file('/var/lib/ec2gw-puppet/90-puppet-compute.yaml').that_comes_before(check)
      is_expected.to contain_file("#{conf}/90-puppet-compute.yaml").that_requires(check)
      expect(rendered("#{conf}/60-site.yaml")).to eq('wrap' => { 'compute' => '/usr/local/lib/ec2gw/site.so' })
    end

    it 'restarts for the listener, database, keystone and metadata listener keys' do
      keys = JSON.parse(catalogue.resource('File', '/var/lib/ec2gw-puppet/restart-keys.json')[:content])
      expect(keys).to eq(
        'listen' => { 'address' => '0.0.0.0', 'port' => 18_813, 'workers' => 4 },
        'paths' => { 'database_pool' => 8 },
        'keystone' => { 'url' => 'https://keystone.example.org:5000/v3',
                        'service_password_file' => '/etc/ec2gw/service_password',
                        'service_password_env' => nil },
        'metadata' => { 'enabled' => true },
      )
    end
  end

  context 'a reloadable change only' do
    let(:params) { { log_level: 'debug', plugin_settings: { 'image' => { 'page_size' => 100 } } } }

    it 'leaves the restart keys empty' do
      keys = JSON.parse(catalogue.resource('File', '/var/lib/ec2gw-puppet/restart-keys.json')[:content])
      expect(keys).to eq('listen' => {}, 'paths' => {}, 'keystone' => {}, 'metadata' => {})
      expect(rendered(dropin)).to eq('log' => { 'level' => 'debug' })
    end
  end

  context 'without systemd (provider base)' do
    let(:params) { { service_provider: 'base', pid_file: '/run/x.pid' } }

    it 'runs the daemon with start-stop-daemon and a pid file' do
      is_expected.to contain_service('ec2gwd').with(provider: 'base', enable: nil)
      svc = catalogue.resource('Service', 'ec2gwd')
      expect(svc[:start]).to match(%r{start-stop-daemon --start .*--pidfile /run/x.pid .*--chuid ec2gw:ec2gw .*--exec /usr/sbin/ec2gwd -- -c /etc/ec2gw/conf.d})
      expect(svc[:stop]).to match(%r{start-stop-daemon --stop .*--pidfile /run/x.pid})
      expect(svc[:status]).to match(%r{start-stop-daemon --status --pidfile /run/x.pid})
    end
    it 'reloads with SIGHUP to the pid file, when it runs' do
      is_expected.to contain_exec('ec2gw reload').with(
        command: '/sbin/start-stop-daemon --stop --signal HUP --quiet --pidfile /run/x.pid',
        onlyif: '/sbin/start-stop-daemon --status --pidfile /run/x.pid',
      )
    end
  end

  context 'no purge, another drop-in name, unmanaged service' do
    let(:params) { { purge_conf_dir: false, drop_in: '55-site-puppet.yaml', manage_service: false } }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.not_to contain_exec('ec2gw prune conf.d') }
    it { is_expected.not_to contain_exec('ec2gw reload') }
    it { is_expected.to contain_file("#{conf}/55-site-puppet.yaml").with_notify([]) }
    it { is_expected.to contain_exec('ec2gw check conf.d').with_unless(/ unchanged .* false\z/) }
  end

  context 'with a Sensitive password, no stock plugins, unmanaged package' do
    let(:params) { { password: sensitive('s3cr3t'), stock_plugins: false, manage_package: false } }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.not_to contain_package('ec2gw') }
    it 'writes it unwrapped, still marked sensitive' do
      content = catalogue.resource('File', '/etc/ec2gw/service_password')[:content]
      content = content.unwrap if content.respond_to?(:unwrap)
      expect(content).to eq("s3cr3t\n")
    end
  end

  context 'with bad input' do
    describe 'a log format' do
      let(:params) { { log_format: 'xml' } }

      it { is_expected.to compile.and_raise_error(/log_format/) }
    end
    describe 'a drop-in name that is no conf.d file' do
      let(:params) { { drop_in: '../x.yaml' } }

      it { is_expected.to compile.and_raise_error(/drop_in/) }
    end
    describe 'a daemon key that is not a plain name' do
      let(:params) { { daemon_settings: { 'paths' => { 'a: b' => 1 } } } }

      it { is_expected.to compile.and_raise_error(/not a plain name/) }
    end
    describe 'a plugin_settings instance that is not a file name' do
      let(:params) { { plugin_settings: { '../x' => { 'a' => 1 } } } }

      it { is_expected.to compile.and_raise_error(/plugin_settings/) }
    end
  end
end

describe 'ec2gw' do
  context 'from Hiera' do
    let(:hiera_config) { File.expand_path('../hiera/hiera.yaml', __dir__) }

    it { is_expected.to compile.with_all_deps }
    it 'takes every parameter from Hiera' do
      c = YAML.safe_load(catalogue.resource('File', '/etc/ec2gw/conf.d/50-puppet.yaml')[:content])
      expect(c['listen']).to eq('port' => 18_899)
      expect(c['keystone']['url']).to eq('https://keystone.hiera.example:5000/v3')
      net = YAML.safe_load(catalogue.resource('File', '/etc/ec2gw/conf.d/90-puppet-network.yaml')[:content])
      expect(net).to eq('instance' => 'network', 'settings' => { 'default_vpc' => true })
      is_expected.to contain_file('/etc/ec2gw/conf.d/60-site.yaml').with_content(/wrap: \{ image: "site-image" \}/)
      is_expected.to contain_file('/etc/ec2gw/service_password').with_mode('0640')
    end
  end
end
