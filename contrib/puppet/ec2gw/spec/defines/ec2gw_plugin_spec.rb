require 'spec_helper'
require 'yaml'

describe 'ec2gw::plugin' do
  let(:pre_condition) { "class { 'ec2gw': stock_plugins => false }" }
  let(:title) { 'site' }

  def rendered(path)
    YAML.safe_load(catalogue.resource('File', path)[:content])
  end

  context 'wrapping a stock instance in one line' do
    let(:params) { { wrap: 'compute', plugin: 'site-compute' } }

    it { is_expected.to compile.with_all_deps }
    it do
      is_expected.to contain_file('/etc/ec2gw/conf.d/60-site.yaml')
        .with(ensure: 'file', mode: '0644')
        .that_requires('Exec[ec2gw check conf.d]')
        .that_notifies('Exec[ec2gw reload]')
    end
    it 'is staged first, with the same content, for the check' do
      is_expected.to contain_file('/var/lib/ec2gw-puppet/60-site.yaml')
        .with_content(catalogue.resource('File', '/etc/ec2gw/conf.d/60-site.yaml')[:content])
        .that_comes_before('Exec[ec2gw check conf.d]')
      expect(catalogue.resource('File', '/etc/ec2gw/conf.d/60-site.yaml')[:content])
        .to start_with("# Written by Puppet (ec2gw module, ec2gw::plugin 'site')")
    end
    it { expect(rendered('/etc/ec2gw/conf.d/60-site.yaml')).to eq('wrap' => { 'compute' => 'site-compute' }) }
  end

  context 'the long form with settings' do
    let(:title) { 'audit' }
    let(:params) do
      { order: '70', file: '/usr/local/lib/ec2gw/audit.so', wraps: 'compute',
        actions: ['RunInstances'], service: { 'type' => 'compute', 'microversion' => '2.79' },
        settings: { 'log' => '/var/log/ec2gw/audit.log', 'sample' => 10, 'strict' => true } }
    end

    it do
      expect(rendered('/etc/ec2gw/conf.d/70-audit.yaml')).to eq(
        'file' => '/usr/local/lib/ec2gw/audit.so', 'instance' => 'audit', 'wraps' => 'compute',
        'actions' => ['RunInstances'], 'service' => { 'type' => 'compute', 'microversion' => '2.79' },
        'settings' => { 'log' => '/var/log/ec2gw/audit.log', 'sample' => 10, 'strict' => true },
      )
    end
  end

  context 'ensure absent' do
    let(:params) { { ensure: 'absent', plugin: 'x' } }

    it { is_expected.to contain_file('/etc/ec2gw/conf.d/60-site.yaml').with_ensure('absent').with_content(nil) }
    it { is_expected.to contain_file('/var/lib/ec2gw-puppet/60-site.yaml').with_ensure('absent') }
  end

  context 'bad input' do
    describe 'neither plugin nor file' do
      let(:params) { {} }

      it { is_expected.to compile.and_raise_error(/exactly one of plugin/) }
    end
    describe 'both plugin and file' do
      let(:params) { { plugin: 'a', file: '/b.so' } }

      it { is_expected.to compile.and_raise_error(/exactly one of plugin/) }
    end
    describe 'wrap with settings' do
      let(:params) { { wrap: 'compute', plugin: 'a', settings: { 'x' => 1 } } }

      it { is_expected.to compile.and_raise_error(/one-line form/) }
    end
    describe 'a title that is not a file name' do
      let(:title) { '../etc/passwd' }
      let(:params) { { plugin: 'a', instance: 'a' } }

      it { is_expected.to compile.and_raise_error(/names a conf.d file/) }
    end
    describe 'without class ec2gw' do
      let(:pre_condition) { '' }
      let(:params) { { plugin: 'a' } }

      it { is_expected.to compile.and_raise_error(/needs class ec2gw/) }
    end
  end
end
