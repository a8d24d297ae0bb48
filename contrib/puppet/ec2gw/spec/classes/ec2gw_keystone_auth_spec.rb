require 'spec_helper'

describe 'ec2gw::keystone::auth' do
  let(:env) { ['OS_AUTH_URL=http://k:5000/v3', 'OS_USERNAME=admin', 'OS_PASSWORD=apw', 'OS_PROJECT_NAME=admin'] }

  context 'one URL for every interface' do
    let(:params) { { password: sensitive('svcpw'), public_url: 'http://gw:8788', environment: env } }

    it { is_expected.to compile.with_all_deps }
    it 'creates the user unless it exists, the password from the environment only' do
      is_expected.to contain_exec('ec2gw keystone user ec2gw').with(
        command: '/usr/bin/openstack user create --domain Default --password "$EC2GW_SERVICE_PASSWORD" ec2gw',
        unless: '/usr/bin/openstack user show --domain Default ec2gw',
        environment: env + ['EC2GW_SERVICE_PASSWORD=svcpw'],
      )
    end
    it 'grants admin in service unless granted' do
      is_expected.to contain_exec('ec2gw keystone role admin for ec2gw')
        .with_command('/usr/bin/openstack role add --user ec2gw --user-domain Default --project service --project-domain Default admin')
        .with_unless(/role assignment list --names .* --role admin -f value -c Role \| grep -q \./)
        .that_requires('Exec[ec2gw keystone user ec2gw]')
    end
    it 'registers the catalog once, guarded by a dry run' do
      cmd = "/usr/sbin/ec2gw-manage -c /etc/ec2gw/conf.d catalog register --url 'http://gw:8788' --region RegionOne --interfaces public,internal,admin"
      is_expected.to contain_exec('ec2gw catalog public,internal,admin http://gw:8788')
        .with(command: cmd, unless: "#{cmd} --dry-run", environment: env)
    end
  end

  context 'a separate internal URL, no user' do
    let(:params) do
      { password: 'pw', public_url: 'https://ec2.example.org', internal_url: 'http://10.0.0.5:8788',
        configure_user: false, roles: %w[admin service], region: 'RegionTwo' }
    end

    it { is_expected.not_to contain_exec('ec2gw keystone user ec2gw') }
    it { is_expected.to contain_exec('ec2gw keystone role service for ec2gw') }
    it { is_expected.to contain_exec('ec2gw catalog public,admin https://ec2.example.org').with_command(/--region RegionTwo --interfaces public,admin\z/) }
    it { is_expected.to contain_exec('ec2gw catalog internal http://10.0.0.5:8788') }
  end

  context 'bad input' do
    describe 'a name needing quotes' do
      let(:params) { { password: 'pw', public_url: 'http://gw', auth_name: 'a b' } }

      it { is_expected.to compile.and_raise_error(/not a plain Keystone name/) }
    end
    describe 'an environment line that is not OS_*' do
      let(:params) { { password: 'pw', public_url: 'http://gw', environment: ['PATH=/tmp'] } }

      it { is_expected.to compile.and_raise_error(/environment/) }
    end
    describe 'a URL with a quote' do
      let(:params) { { password: 'pw', public_url: "http://gw/'x" } }

      it { is_expected.to compile.and_raise_error(/quote/) }
    end
  end
end
