# @summary Installs, configures and runs ec2gw, the EC2 Query API gateway for OpenStack.
#
# The package's conf.d files stay as shipped (dpkg never asks about them on upgrade and new
# defaults arrive): ec2gw::config writes the settings given here, and only those, into one
# drop-in (drop_in, default 50-puppet.yaml) that ec2gwd merges over them key by key. A
# parameter left undef keeps the package's value. Set them in Hiera as ec2gw::<name>.
#
# @example
#   class { 'ec2gw':
#     keystone_url => 'https://keystone.example.org:5000/v3',
#     password     => Sensitive('secret'),
#     endpoint     => 'https://ec2.example.org:8788',
#   }
#
# @param password
#   The Keystone service user's password, written to password_file (mode 0640, root:ec2gw)
#   and read by the daemon through keystone.service_password_file. undef: the file is left
#   as it is (managed elsewhere).
# @param package_ensure
#   ensure of the package ('present', 'latest', a version, 'absent' or 'purged').
# @param package_name
#   The package's name.
# @param package_source
#   A local .deb to install (apt installs its dependencies too); undef: the configured apt
#   repositories.
# @param package_install_options
#   More apt-get options, e.g. ['-o', 'DPkg::Lock::Timeout=300'] to wait for another apt.
# @param manage_package
#   Whether to manage the package at all (false: the daemon is installed otherwise).
# @param manage_service
#   Whether to manage the service.
# @param service_name
#   The service's name (the systemd unit ec2gwd.service).
# @param service_ensure
#   'running' or 'stopped'.
# @param service_enable
#   Whether the service starts at boot.
# @param service_provider
#   The service provider; undef: the system's (systemd). 'base' runs the daemon with
#   start-stop-daemon and pid_file (hosts without systemd, such as containers), unless
#   service_start/service_stop/service_status say otherwise.
# @param service_start
#   The start command for provider base.
# @param service_stop
#   The stop command for provider base.
# @param service_status
#   The status command for provider base.
# @param service_reload
#   The command that makes the daemon read conf.d again (SIGHUP); undef: `systemctl reload`,
#   or with provider base start-stop-daemon sending HUP to pid_file.
# @param pid_file
#   The pid file of provider base's default commands.
# @param daemon_path
#   The daemon executable (provider base's default commands, and the conf.d check).
# @param daemon_log
#   Where provider base's default start command sends the daemon's stderr.
# @param user
#   The system user the daemon runs as (created by the package) and the group that may read
#   the password file.
# @param conf_dir
#   The configuration directory (ec2gwd -c).
# @param drop_in
#   The name of the drop-in that holds this class's daemon settings. It must sort after the
#   package's 00-daemon.yaml.
# @param plugin_settings_order
#   The name prefix of the plugin_settings drop-ins (<order>-puppet-<instance>.yaml): they
#   must sort after the file that configures their instance.
# @param purge_conf_dir
#   Remove the files of conf_dir that Puppet wrote on an earlier run and no longer manages
#   (a plugin or a plugin_settings entry taken out of Hiera). Only Puppet's files: the
#   package's and the site's own are never touched.
# @param staging_dir
#   Where Puppet writes its drop-ins first, to check them merged with conf.d (root only).
# @param conf_helper
#   Where the module's helper script (check, prune) is installed.
# @param environment_file
#   The daemon's environment (the systemd unit's EnvironmentFile=): the conf.d check reads
#   the variables that service_password_env and the like name from it.
# @param password_file
#   Where the Keystone service password is written.
# @param listen_address
#   listen.address (undef: the package's, as for every setting below).
# @param listen_port
#   listen.port.
# @param workers
#   listen.workers.
# @param describe_max_staleness
#   describe_max_staleness ('0' turns shared reads off).
# @param limits
#   Keys of the limits: section (max_connections, max_body_size, max_header_size,
#   request_timeout, idle_timeout, header_timeout, max_parameters).
# @param region
#   ec2.region.
# @param endpoint
#   ec2.endpoint, advertised by DescribeRegions; undef: http://listen_address:listen_port.
# @param extra_regions
#   ec2.extra_regions ("name=endpoint" strings); empty: the package's.
# @param max_clock_skew
#   ec2.max_clock_skew.
# @param database
#   paths.database: a SQLite file or a mysql:// URL.
# @param plugin_dir
#   paths.plugin_dir.
# @param model
#   paths.model.
# @param log_level
#   log.level.
# @param log_format
#   log.format: text or json.
# @param access_log
#   log.access_log: true (stderr), false, or a file path reopened on SIGUSR1.
# @param openstack_timeout
#   openstack.timeout.
# @param max_connections_per_host
#   openstack.max_connections_per_host.
# @param keystone_url
#   keystone.url (identity v3).
# @param keystone_user
#   keystone.service_user.
# @param keystone_project
#   keystone.service_project.
# @param keystone_user_domain
#   keystone.user_domain.
# @param keystone_project_domain
#   keystone.project_domain.
# @param keystone_interface
#   keystone.interface: the catalog interface used for OpenStack calls.
# @param credential_ttl
#   keystone.credential_ttl.
# @param token_margin
#   keystone.token_margin.
# @param metadata
#   Keys of the metadata: section (enabled, address, port, shared_secret_env or
#   shared_secret_file, cache_ttl, token_ttl_max); docs/metadata.md.
# @param daemon_settings
#   Any other daemon keys, merged last, key by key (e.g. { paths => { database_pool => 8 } }).
# @param stock_plugins
#   Deprecated, no effect: the package's plugin files stay as shipped; plugin_settings
#   changes their settings.
# @param plugin_settings
#   Per instance, settings that override its conf.d file's (e.g. { compute => { max_count =>
#   50 } }): one drop-in each, <plugin_settings_order>-puppet-<instance>.yaml.
# @param plugins
#   ec2gw::plugin resources to declare (title => parameters), e.g. from Hiera.
class ec2gw (
  Optional[Variant[String[1], Sensitive[String[1]]]] $password = undef,
  String[1] $package_ensure = 'present',
  String[1] $package_name = 'ec2gw',
  Optional[Stdlib::Absolutepath] $package_source = undef,
  Array[String[1]] $package_install_options = [],
  Boolean $manage_package = true,
  Boolean $manage_service = true,
  String[1] $service_name = 'ec2gwd',
  Enum['running', 'stopped'] $service_ensure = 'running',
  Boolean $service_enable = true,
  Optional[String[1]] $service_provider = undef,
  Optional[String[1]] $service_start = undef,
  Optional[String[1]] $service_stop = undef,
  Optional[String[1]] $service_status = undef,
  Optional[String[1]] $service_reload = undef,
  Stdlib::Absolutepath $pid_file = '/run/ec2gwd.pid',
  Stdlib::Absolutepath $daemon_path = '/usr/sbin/ec2gwd',
  Stdlib::Absolutepath $daemon_log = '/var/log/ec2gw/ec2gwd.log',
  String[1] $user = 'ec2gw',
  Stdlib::Absolutepath $conf_dir = '/etc/ec2gw/conf.d',
  Pattern[/\A[0-9]{2}-[A-Za-z0-9_.-]+\.yaml\z/] $drop_in = '50-puppet.yaml',
  Pattern[/\A[0-9]{2}\z/] $plugin_settings_order = '90',
  Boolean $purge_conf_dir = true,
  Stdlib::Absolutepath $staging_dir = '/var/lib/ec2gw-puppet',
  Stdlib::Absolutepath $conf_helper = '/usr/local/sbin/ec2gw-puppet-conf',
  Stdlib::Absolutepath $environment_file = '/etc/ec2gw/ec2gw.env',
  Stdlib::Absolutepath $password_file = '/etc/ec2gw/service_password',
  Optional[String[1]] $listen_address = undef,
  Optional[Stdlib::Port] $listen_port = undef,
  Optional[Integer[1]] $workers = undef,
  Optional[String[1]] $describe_max_staleness = undef,
  Hash[String[1], Variant[String[1], Integer]] $limits = {},
  Optional[String[1]] $region = undef,
  Optional[Stdlib::HTTPUrl] $endpoint = undef,
  Array[String[1]] $extra_regions = [],
  Optional[String[1]] $max_clock_skew = undef,
  Optional[String[1]] $database = undef,
  Optional[Stdlib::Absolutepath] $plugin_dir = undef,
  Optional[Stdlib::Absolutepath] $model = undef,
  Optional[Enum['error', 'warn', 'notice', 'info', 'debug']] $log_level = undef,
  Optional[Enum['text', 'json']] $log_format = undef,
  Optional[Variant[Boolean, Stdlib::Absolutepath]] $access_log = undef,
  Optional[String[1]] $openstack_timeout = undef,
  Optional[Integer[1]] $max_connections_per_host = undef,
  Optional[Stdlib::HTTPUrl] $keystone_url = undef,
  Optional[String[1]] $keystone_user = undef,
  Optional[String[1]] $keystone_project = undef,
  Optional[String[1]] $keystone_user_domain = undef,
  Optional[String[1]] $keystone_project_domain = undef,
  Optional[Enum['public', 'internal', 'admin']] $keystone_interface = undef,
  Optional[String[1]] $credential_ttl = undef,
  Optional[String[1]] $token_margin = undef,
  Hash[String[1], Variant[String[1], Integer, Boolean]] $metadata = {},
  Hash[String[1], Data] $daemon_settings = {},
  Boolean $stock_plugins = true,
  Hash[Pattern[/\A[A-Za-z0-9_.-]+\z/], Hash[String[1], Data]] $plugin_settings = {},
  Hash[String[1], Hash] $plugins = {},
) {
  contain ec2gw::install
  contain ec2gw::config
  contain ec2gw::service

  # Not ~>: ec2gw::config notifies what a change needs (a reload, or a restart for the keys
  # that SIGHUP does not apply).
  Class['ec2gw::install'] -> Class['ec2gw::config'] -> Class['ec2gw::service']

  unless $stock_plugins {
    warning('ec2gw: stock_plugins => false has no effect: the package\'s plugin files stay as shipped')
  }

  $plugins.each |String[1] $name, Hash $params| {
    ec2gw::plugin { $name:
      * => $params,
    }
  }
}
