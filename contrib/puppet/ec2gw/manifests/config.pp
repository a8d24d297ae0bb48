# @summary Renders /etc/ec2gw/conf.d from the parameters of class ec2gw (and so from Hiera).
#
# ec2gwd reads every *.yaml of conf.d in name order, and a daemon section (listen, keystone...)
# may appear in one file only: an override file beside the package's 00-daemon.yaml would be
# refused, so this class owns 00-daemon.yaml itself (the package's conffile; apt keeps Puppet's
# version on upgrade) and writes every section with the package's defaults. The stock plugin
# instances are ec2gw::plugin resources with the package's settings, merged with
# ec2gw::plugin_settings.
#
# @api private
class ec2gw::config {
  assert_private()

  # The package's limits: and metadata: sections, overridden key by key.
  $limits = {
    'max_connections' => 1024,
    'max_body_size'   => 1048576,
    'max_header_size' => 65536,
    'request_timeout' => '120s',
    'idle_timeout'    => '60s',
    'header_timeout'  => '20s',
    'max_parameters'  => 20000,
  } + $ec2gw::limits
  $metadata = {
    'enabled'           => false,
    'address'           => '127.0.0.1',
    'port'              => 8789,
    'shared_secret_env' => 'EC2GW_METADATA_SECRET',
    'cache_ttl'         => '10s',
    'token_ttl_max'     => '21600s',
  } + $ec2gw::metadata

  file { $ec2gw::conf_dir:
    ensure  => directory,
    owner   => 'root',
    group   => 'root',
    mode    => '0755',
    purge   => $ec2gw::purge_conf_dir,
    recurse => $ec2gw::purge_conf_dir,
  }

  file { "${ec2gw::conf_dir}/00-daemon.yaml":
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => epp('ec2gw/daemon.yaml.epp', {
        'limits'   => $limits,
        'metadata' => $metadata,
    }),
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
    }
  }

  if $ec2gw::stock_plugins {
    $stock = {
      'compute'  => {
        'order'    => '10',
        'plugin'   => 'nova-v2.1',
        'service'  => { 'type' => 'compute', 'microversion' => '2.79' },
        'settings' => {
          'default_instance_type'    => 'm1.small',
          'network'                  => 'auto',
          'private_dns_show_ip'      => false,
          'console_output_max_lines' => 500,
          'terminated_visible'       => '1h',
          'max_count'                => 20,
          'describe_as_service'      => true,
          'describe_staleness'       => 'daemon',
          'full_sync_interval'       => '60s',
          'sync_overlap'             => '5s',
          'sync_max_projects'        => 256,
        },
      },
      'network'  => {
        'order'    => '20',
        'plugin'   => 'neutron-v2.0',
        'service'  => { 'type' => 'network' },
        'settings' => {
          'external_network'  => 'auto',
          'default_vpc'       => false,
          'availability_zone' => 'nova',
        },
      },
      'image'    => {
        'order'    => '30',
        'plugin'   => 'glance-v2',
        'service'  => { 'type' => 'image' },
        'settings' => {
          'page_size'            => 500,
          'list_shared_pending'  => true,
          'compute_microversion' => '2.45',
          'create_image_timeout' => '45s',
        },
      },
      'volume'   => {
        'order'    => '40',
        'plugin'   => 'cinder-v3',
        'service'  => { 'type' => 'volumev3', 'microversion' => '3.50' },
        'settings' => {
          'compute_microversion'   => '2.79',
          'max_size_gib'           => 16384,
          'force_detach_as_service' => true,
        },
      },
      'metadata' => {
        'order'    => '50',
        'plugin'   => 'ec2-v1',
        'settings' => {
          'trust_neutron_ids'    => false,
          'max_cached_instances' => 4096,
          'compute_microversion' => '2.79',
        },
      },
    }
    $stock.each |String $name, Hash $p| {
      ec2gw::plugin { $name:
        order    => $p['order'],
        plugin   => $p['plugin'],
        service  => $p['service'],
        settings => $p['settings'] + pick($ec2gw::plugin_settings[$name], {}),
      }
    }
  }
}
