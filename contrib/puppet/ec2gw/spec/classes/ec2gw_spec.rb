require 'spec_helper'
require 'yaml'

describe 'ec2gw' do
  let(:daemon) { '/etc/ec2gw/conf.d/00-daemon.yaml' }

  def rendered(path)
    YAML.safe_load(catalogue.resource('File', path)[:content])
  end

  context 'with defaults' do
    it { is_expected.to compile.with_all_deps }
    it { is_expected.to contain_package('ec2gw').with(ensure: 'present', configfiles: 'keep') }
    it { is_expected.to contain_service('ec2gwd').with(ensure: 'running', enable: true, provider: nil) }
    it { is_expected.to contain_class('ec2gw::install').that_comes_before('Class[ec2gw::config]') }
    it { is_expected.to contain_class('ec2gw::config').that_notifies('Class[ec2gw::service]') }
    it { is_expected.not_to contain_file('/etc/ec2gw/service_password') }

    # Every default is the package's conf.d/00-daemon.yaml's.
    it 'renders the package defaults' do
      c = rendered(daemon)
      expect(c['listen']).to eq('address' => '127.0.0.1', 'port' => 8788, 'workers' => 1)
      expect(c['describe_max_staleness']).to eq('2s')
      expect(c['limits']).to eq('max_connections' => 1024, 'max_body_size' => 1_048_576,
                                'max_header_size' => 65_536, 'request_timeout' => '120s',
                                'idle_timeout' => '60s', 'header_timeout' => '20s',
                                'max_parameters' => 20_000)
      expect(c['ec2']).to eq('region' => 'RegionOne', 'max_clock_skew' => '15m')
      expect(c['paths']).to eq('database' => '/var/lib/ec2gw/ec2gw.sqlite')
      expect(c['log']).to eq('level' => 'info', 'format' => 'text', 'access_log' => true)
      expect(c['openstack']).to eq('timeout' => '60s', 'max_connections_per_host' => 32)
      expect(c['keystone']).to eq('url' => 'http://127.0.0.1:5000/v3', 'service_user' => 'ec2gw',
                                  'service_project' => 'service', 'user_domain' => 'Default',
                                  'project_domain' => 'Default',
                                  'service_password_file' => '/etc/ec2gw/service_password',
                                  'interface' => 'public', 'credential_ttl' => '60s',
                                  'token_margin' => '5m')
      expect(c['metadata']['enabled']).to be false
      expect(c['metadata']['port']).to eq(8789)
    end

    it 'configures the five stock instances' do
      %w[10-compute 20-network 30-image 40-volume 50-metadata].each do |f|
        is_expected.to contain_file("/etc/ec2gw/conf.d/#{f}.yaml")
      end
      c = rendered('/etc/ec2gw/conf.d/10-compute.yaml')
      expect(c['plugin']).to eq('nova-v2.1')
      expect(c['instance']).to eq('compute')
      expect(c['service']).to eq('type' => 'compute', 'microversion' => '2.79')
      expect(c['settings']['max_count']).to eq(20)
      expect(c['settings']['default_instance_type']).to eq('m1.small')
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
        plugin_settings: { 'compute' => { 'max_count' => 50 } },
        plugins: { 'site' => { 'wrap' => 'compute', 'file' => '/usr/local/lib/ec2gw/site.so' } },
        package_source: '/var/tmp/ec2gw_1.0_amd64.deb',
      }
    end

    it { is_expected.to compile.with_all_deps }
    it { is_expected.to contain_package('ec2gw').with_source('/var/tmp/ec2gw_1.0_amd64.deb') }

    it 'writes the password readable by root and group ec2gw only' do
      is_expected.to contain_file('/etc/ec2gw/service_password').with(
        owner: 'root', group: 'ec2gw', mode: '0640', show_diff: false,
      )
      res = catalogue.resource('File', '/etc/ec2gw/service_password')
      expect(res[:content]).to eq("pw-secret\n")
      # kept out of reports and logs
      expect(res.sensitive_parameters).to include(:content)
      # and never in conf.d (world-readable)
      catalogue.resources.select { |r| r.type == 'File' && r[:path].start_with?('/etc/ec2gw/conf.d/') }.each do |r|
        expect(r[:content].to_s).not_to include('pw-secret')
      end
    end

    it 'renders them' do
      c = rendered(daemon)
      expect(c['listen']).to eq('address' => '0.0.0.0', 'port' => 18_813, 'workers' => 4)
      expect(c['ec2']['endpoint']).to eq('https://ec2.example.org:8788')
      expect(c['keystone']['url']).to eq('https://keystone.example.org:5000/v3')
      expect(c['log']).to eq('level' => 'info', 'format' => 'json', 'access_log' => '/var/log/ec2gw/access.log')
      expect(c['limits']['max_connections']).to eq(4096)
      expect(c['limits']['max_parameters']).to eq(20_000)
      expect(c['metadata']['enabled']).to be true
      expect(c['metadata']['shared_secret_file']).to eq('/etc/ec2gw/metadata_secret')
      expect(rendered('/etc/ec2gw/conf.d/10-compute.yaml')['settings']['max_count']).to eq(50)
      expect(rendered('/etc/ec2gw/conf.d/60-site.yaml')).to eq('wrap' => { 'compute' => '/usr/local/lib/ec2gw/site.so' })
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
  end

  context 'with a Sensitive password, no stock plugins, unmanaged package' do
    let(:params) { { password: sensitive('s3cr3t'), stock_plugins: false, manage_package: false } }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.not_to contain_package('ec2gw') }
    it { is_expected.not_to contain_file('/etc/ec2gw/conf.d/10-compute.yaml') }
    it 'writes it unwrapped, still marked sensitive' do
      content = catalogue.resource('File', '/etc/ec2gw/service_password')[:content]
      content = content.unwrap if content.respond_to?(:unwrap)
      expect(content).to eq("s3cr3t\n")
    end
  end

  context 'with bad input' do
    let(:params) { { log_format: 'xml' } }

    it { is_expected.to compile.and_raise_error(/log_format/) }
  end
end

describe 'ec2gw' do
  context 'from Hiera' do
    let(:hiera_config) { File.expand_path('../hiera/hiera.yaml', __dir__) }

    it { is_expected.to compile.with_all_deps }
    it 'takes every parameter from Hiera' do
      c = YAML.safe_load(catalogue.resource('File', '/etc/ec2gw/conf.d/00-daemon.yaml')[:content])
      expect(c['listen']['port']).to eq(18_899)
      expect(c['keystone']['url']).to eq('https://keystone.hiera.example:5000/v3')
      net = YAML.safe_load(catalogue.resource('File', '/etc/ec2gw/conf.d/20-network.yaml')[:content])
      expect(net['settings']).to eq('external_network' => 'auto', 'default_vpc' => true, 'availability_zone' => 'nova')
      is_expected.to contain_file('/etc/ec2gw/conf.d/60-site.yaml').with_content(/wrap: \{ image: "site-image" \}/)
      is_expected.to contain_file('/etc/ec2gw/service_password').with_mode('0640')
    end
  end
end
