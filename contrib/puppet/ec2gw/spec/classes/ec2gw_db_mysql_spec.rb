require 'spec_helper'

describe 'ec2gw::db::mysql' do
  context 'defaults' do
    let(:params) { { password: sensitive("p'w\\x") } }

    it { is_expected.to compile.with_all_deps }
    it 'creates the database unless it is there' do
      is_expected.to contain_exec('ec2gw mysql database ec2gw').with(
        command: "printf '%s\\n' \"$EC2GW_SQL\" | /usr/bin/mariadb",
        unless: "/usr/bin/mariadb -N -e \"SHOW DATABASES LIKE 'ec2gw'\" | grep -qx ec2gw",
        environment: ['EC2GW_SQL=CREATE DATABASE IF NOT EXISTS `ec2gw` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;'],
      )
    end
    it 'grants, the password (escaped) on stdin only' do
      e = catalogue.resource('Exec', 'ec2gw mysql grant ec2gw@127.0.0.1')
      expect(e[:environment]).to eq([
        "EC2GW_SQL=CREATE USER IF NOT EXISTS 'ec2gw'@'127.0.0.1' IDENTIFIED BY 'p''w\\\\x'; " \
        "GRANT ALL PRIVILEGES ON `ec2gw`.* TO 'ec2gw'@'127.0.0.1';",
      ])
      expect(e[:command]).not_to include('IDENTIFIED')
      expect(e[:unless]).to eq("/usr/bin/mariadb -N -e \"SHOW GRANTS FOR 'ec2gw'@'127.0.0.1'\" 2>/dev/null | grep -qF 'ON `ec2gw`.*'")
      is_expected.to contain_exec('ec2gw mysql grant ec2gw@127.0.0.1').that_requires('Exec[ec2gw mysql database ec2gw]')
    end
  end

  context 'more hosts and client options' do
    let(:params) do
      { password: 'pw', dbname: 'gw', allowed_hosts: ['10.0.0.%', '127.0.0.1'],
        mysql_options: ['--defaults-file=/root/.my.cnf'] }
    end

    it { is_expected.to contain_exec('ec2gw mysql grant ec2gw@10.0.0.%') }
    it { is_expected.to contain_exec('ec2gw mysql grant ec2gw@127.0.0.1').with_unless(%r{\A/usr/bin/mariadb --defaults-file=/root/.my.cnf -N}) }
    it { is_expected.to contain_exec('ec2gw mysql database gw') }
  end

  context 'a database name that is not an identifier' do
    let(:params) { { password: 'pw', dbname: 'a`b' } }

    it { is_expected.to compile.and_raise_error(/dbname/) }
  end

  context 'a database name with a hyphen' do
    let(:params) { { password: 'pw', dbname: 'ec2-gw' } }

    it { is_expected.to compile.and_raise_error(/dbname/) }
  end

  # Fixed with the acceptance test (it_test_puppet_mysql): String[1] took a password of
  # blanks, and the client's words were joined unquoted, so one with a space became several.
  context 'a password of whitespace only' do
    let(:params) { { password: sensitive(" \t ") } }

    it { is_expected.to compile.and_raise_error(/password must not be empty or whitespace only/) }
  end

  context 'a plain password of whitespace only' do
    let(:params) { { password: '  ' } }

    it { is_expected.to compile.and_raise_error(/password must not be empty or whitespace only/) }
  end

  context 'a client path and options with spaces and quotes' do
    let(:params) do
      { password: 'pw', mysql_command: '/opt/my sql/mariadb',
        mysql_options: ['--socket=/run/my sql/mysqld.sock', "--init-command=SET @a='b'"] }
    end

    it 'quotes each word for the shell' do
      client = %q{"/opt/my sql/mariadb" "--socket=/run/my sql/mysqld.sock" "--init-command=SET @a='b'"}
      is_expected.to contain_exec('ec2gw mysql database ec2gw').with(
        command: "printf '%s\\n' \"$EC2GW_SQL\" | #{client}",
        unless: "#{client} -N -e \"SHOW DATABASES LIKE 'ec2gw'\" | grep -qx ec2gw",
      )
    end
  end
end
