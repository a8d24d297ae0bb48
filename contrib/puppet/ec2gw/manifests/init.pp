# @summary Installs, configures and runs ec2gw, the EC2 Query API gateway for OpenStack.
#
# Every parameter defaults to the value of the package's conf.d, so `include ec2gw` plus the
# Keystone password gives the stock configuration. ec2gw::config renders the whole of
# /etc/ec2gw/conf.d from these parameters (set them in Hiera as ec2gw::<name>).
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
# @param pid_file
#   The pid file of provider base's default commands.
# @param daemon_path
#   The daemon executable (provider base's default commands).
# @param daemon_log
#   Where provider base's default start command sends the daemon's stderr.
# @param user
#   The system user the daemon runs as (created by the package) and the group that may read
#   the password file.
# @param conf_dir
#   The configuration directory (ec2gwd -c).
# @param purge_conf_dir
#   Remove every file of conf_dir that Puppet does not manage.
# @param password_file
#   Where the Keystone service password is written.
# @param listen_address
#   listen.address.
# @param listen_port
#   listen.port.
# @param workers
#   listen.workers.
# @param describe_max_staleness
#   describe_max_staleness ('0' turns shared reads off).
# @param limits
#   Overrides of the limits: section (max_connections, max_body_size, max_header_size,
#   request_timeout, idle_timeout, header_timeout, max_parameters).
# @param region
#   ec2.region.
# @param endpoint
#   ec2.endpoint, advertised by DescribeRegions; undef: http://listen_address:listen_port.
# @param extra_regions
#   ec2.extra_regions ("name=endpoint" strings).
# @param max_clock_skew
#   ec2.max_clock_skew.
# @param database
#   paths.database: a SQLite file or a mysql:// URL.
# @param plugin_dir
#   paths.plugin_dir; undef: the package's.
# @param model
#   paths.model; undef: the package's.
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
#   Overrides of the metadata: section (enabled, address, port, shared_secret_env or
#   shared_secret_file, cache_ttl, token_ttl_max); docs/metadata.md.
# @param stock_plugins
#   Configure the package's plugin instances (compute, network, image, volume, metadata).
# @param plugin_settings
#   Per stock instance, overrides of its settings: (e.g. { compute => { max_count => 50 } }).
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
  Stdlib::Absolutepath $pid_file = '/run/ec2gwd.pid',
  Stdlib::Absolutepath $daemon_path = '/usr/sbin/ec2gwd',
  Stdlib::Absolutepath $daemon_log = '/var/log/ec2gw/ec2gwd.log',
  String[1] $user = 'ec2gw',
  Stdlib::Absolutepath $conf_dir = '/etc/ec2gw/conf.d',
  Boolean $purge_conf_dir = false,
  Stdlib::Absolutepath $password_file = '/etc/ec2gw/service_password',
  String[1] $listen_address = '127.0.0.1',
  Stdlib::Port $listen_port = 8788,
  Integer[1] $workers = 1,
  String[1] $describe_max_staleness = '2s',
  Hash[String[1], Variant[String[1], Integer]] $limits = {},
  String[1] $region = 'RegionOne',
  Optional[Stdlib::HTTPUrl] $endpoint = undef,
  Array[String[1]] $extra_regions = [],
  String[1] $max_clock_skew = '15m',
  String[1] $database = '/var/lib/ec2gw/ec2gw.sqlite',
  Optional[Stdlib::Absolutepath] $plugin_dir = undef,
  Optional[Stdlib::Absolutepath] $model = undef,
  Enum['error', 'warn', 'notice', 'info', 'debug'] $log_level = 'info',
  Enum['text', 'json'] $log_format = 'text',
  Variant[Boolean, Stdlib::Absolutepath] $access_log = true,
  String[1] $openstack_timeout = '60s',
  Integer[1] $max_connections_per_host = 32,
  Stdlib::HTTPUrl $keystone_url = 'http://127.0.0.1:5000/v3',
  String[1] $keystone_user = 'ec2gw',
  String[1] $keystone_project = 'service',
  String[1] $keystone_user_domain = 'Default',
  String[1] $keystone_project_domain = 'Default',
  Enum['public', 'internal', 'admin'] $keystone_interface = 'public',
  String[1] $credential_ttl = '60s',
  String[1] $token_margin = '5m',
  Hash[String[1], Variant[String[1], Integer, Boolean]] $metadata = {},
  Boolean $stock_plugins = true,
  Hash[String[1], Hash] $plugin_settings = {},
  Hash[String[1], Hash] $plugins = {},
) {
  contain ec2gw::install
  contain ec2gw::config
  contain ec2gw::service

  Class['ec2gw::install'] -> Class['ec2gw::config'] ~> Class['ec2gw::service']

  $plugins.each |String[1] $name, Hash $params| {
    ec2gw::plugin { $name:
      * => $params,
    }
  }
}
