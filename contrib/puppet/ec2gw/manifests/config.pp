# @summary Writes the site's settings (class ec2gw's parameters, Hiera) as conf.d drop-ins.
#
# The package's conf.d files are conffiles: this class never touches them, so dpkg never asks
# about them on upgrade and new package defaults arrive. ec2gwd merges the drop-ins over them
# key by key: the daemon keys the site sets go to $ec2gw::drop_in (50-puppet.yaml), each
# plugin_settings entry to <order>-puppet-<instance>.yaml, each ec2gw::plugin to its own file.
#
# Every one of Puppet's files is first written to staging_dir; Exec['ec2gw check conf.d'] runs
# `ec2gwd --check-config` on a private copy of conf.d with them, and only then are they written
# to conf.d. A refused value fails the run before conf.d or the daemon sees it. A change
# reloads the daemon (SIGHUP); one of the keys SIGHUP does not apply (listen, paths.database,
# keystone, the metadata listener; docs/operations.md "Site overrides") restarts it.
#
# @api private
class ec2gw::config {
  assert_private()

  $helper = $ec2gw::conf_helper
  $conf = $ec2gw::conf_dir
  $staging = $ec2gw::staging_dir
  $purge = $ec2gw::purge_conf_dir

  # Only what the site set: undef keeps the package's value.
  $password_keys = $ec2gw::password ? {
    undef   => {},
    # the package names an environment variable; one source only, so unset it
    default => { 'service_password_file' => $ec2gw::password_file, 'service_password_env' => undef },
  }
  $sections = {
    'listen'                 => {
      'address' => $ec2gw::listen_address,
      'port'    => $ec2gw::listen_port,
      'workers' => $ec2gw::workers,
    },
    'describe_max_staleness' => $ec2gw::describe_max_staleness,
    'limits'                 => $ec2gw::limits,
    'ec2'                    => {
      'region'         => $ec2gw::region,
      'endpoint'       => $ec2gw::endpoint,
      'extra_regions'  => $ec2gw::extra_regions ? { [] => undef, default => $ec2gw::extra_regions },
      'max_clock_skew' => $ec2gw::max_clock_skew,
    },
    'paths'                  => {
      'database'   => $ec2gw::database,
      'plugin_dir' => $ec2gw::plugin_dir,
      'model'      => $ec2gw::model,
    },
    'log'                    => {
      'level'      => $ec2gw::log_level,
      'format'     => $ec2gw::log_format,
      'access_log' => $ec2gw::access_log,
    },
    'openstack'              => {
      'timeout'                  => $ec2gw::openstack_timeout,
      'max_connections_per_host' => $ec2gw::max_connections_per_host,
    },
    'keystone'               => {
      'url'             => $ec2gw::keystone_url,
      'service_user'    => $ec2gw::keystone_user,
      'service_project' => $ec2gw::keystone_project,
      'user_domain'     => $ec2gw::keystone_user_domain,
      'project_domain'  => $ec2gw::keystone_project_domain,
      'interface'       => $ec2gw::keystone_interface,
      'credential_ttl'  => $ec2gw::credential_ttl,
      'token_margin'    => $ec2gw::token_margin,
    }.filter |$k, $v| { $v != undef } + $password_keys,
    'metadata'               => $ec2gw::metadata,
  }.map |$name, $value| {
    $set = $value ? {
      Hash    => $value.filter |$k, $v| { $v != undef or $k == 'service_password_env' },
      default => $value,
    }
    [$name, $set]
  }.filter |$pair| { $pair[1] != undef and $pair[1] != {} }
  $daemon = deep_merge(Hash($sections), $ec2gw::daemon_settings)
  $daemon.each |$key, $value| {
    unless $key =~ /\A[a-z0-9_]+\z/ and ($value !~ Hash or $value.keys.all |$k| { $k =~ /\A[a-z0-9_]+\z/ }) {
      fail("ec2gw: daemon key '${key}' (or one of its keys) is not a plain name (a-z, 0-9, _)")
    }
  }

  # The keys a reload does not apply: when they change, the service restarts.
  $restart_keys = {
    'listen'   => pick($daemon['listen'], {}),
    'paths'    => pick($daemon['paths'], {}).filter |$k, $v| { $k =~ /\Adatabase/ },
    'keystone' => pick($daemon['keystone'], {}),
    'metadata' => pick($daemon['metadata'], {}).filter |$k, $v| { $k in ['enabled', 'address', 'port'] },
  }

  if $ec2gw::manage_service {
    $reload = Exec['ec2gw reload']
    $restart = Service[$ec2gw::service_name]
  } else {
    $reload = []
    $restart = []
  }

  file { $helper:
    ensure => file,
    owner  => 'root',
    group  => 'root',
    mode   => '0755',
    source => 'puppet:///modules/ec2gw/ec2gw-puppet-conf',
  }

  # Puppet's own files as this run wants them; purged of what it no longer manages.
  file { $staging:
    ensure  => directory,
    owner   => 'root',
    group   => 'root',
    mode    => '0700',
    recurse => true,
    purge   => true,
    force   => true,
  }

  # The secret: never world-readable, never in conf.d (which is 0644).
  if $ec2gw::password != undef {
    file { $ec2gw::password_file:
      ensure    => file,
      owner     => 'root',
      group     => $ec2gw::user,
      mode      => '0640',
      content   => Sensitive("${ec2gw::password.unwrap}\n"),
      show_diff => false,
      before    => Exec['ec2gw check conf.d'],
      notify    => $restart,
    }
  }

  ec2gw::dropin { $ec2gw::drop_in:
    content => epp('ec2gw/dropin.yaml.epp', { 'what' => 'class ec2gw', 'settings' => $daemon }),
  }

  $ec2gw::plugin_settings.each |$instance, $settings| {
    ec2gw::dropin { "${ec2gw::plugin_settings_order}-puppet-${instance}.yaml":
      content => epp('ec2gw/dropin.yaml.epp', {
          'what'     => "ec2gw::plugin_settings ${instance}",
          'settings' => { 'instance' => $instance, 'settings' => $settings },
      }),
    }
  }

  exec { 'ec2gw check conf.d':
    command   => "${helper} check ${conf} ${staging} ${ec2gw::daemon_path} ${ec2gw::environment_file} ${purge} ${ec2gw::user}",
    unless    => "${helper} unchanged ${conf} ${staging} ${purge}",
    path      => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'],
    logoutput => true,
    require   => [File[$helper], File[$staging]],
  }

  if $purge {
    exec { 'ec2gw prune conf.d':
      command => "${helper} prune ${conf} ${staging}",
      onlyif  => "${helper} stale ${conf} ${staging}",
      path    => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'],
      require => Exec['ec2gw check conf.d'],
      notify  => $reload,
    }
  }

  file { "${staging}/restart-keys.json":
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0600',
    content => "${to_json($restart_keys)}\n",
    require => Exec['ec2gw check conf.d'],
    notify  => $restart,
  }
}
