# @summary One plugin instance of ec2gwd: one conf.d file (docs/plugins.md).
#
# The long form loads a plugin (a stock one or a site one) as an instance with its settings;
# with `wrap`, the one-line form puts a site plugin in front of an existing instance with its
# default settings. The file is checked with the rest of conf.d before it is written, and its
# change reloads the daemon (SIGHUP loads plugins and instances).
#
# @example A site plugin in front of the stock compute instance
#   ec2gw::plugin { 'site':
#     wrap   => 'compute',
#     file   => '/usr/local/lib/ec2gw/site.so',
#   }
#
# @example A second instance with settings
#   ec2gw::plugin { 'audit':
#     file     => '/usr/local/lib/ec2gw/audit.so',
#     wraps    => 'compute',
#     settings => { 'log' => '/var/log/ec2gw/audit.log' },
#   }
#
# @param ensure
#   'present' or 'absent' (the file is removed).
# @param order
#   The file name's prefix: files are read in name order (the stock instances use 10-50, a
#   plugin_settings drop-in ec2gw::plugin_settings_order, 90).
# @param plugin
#   The plugin's descriptor name: <plugin_dir>/<plugin>.so.
# @param file
#   Or the plugin file's path.
# @param instance
#   The instance's routing name (long form).
# @param wraps
#   The instance this one sits in front of (long form).
# @param actions
#   Serve only these of the plugin's actions (long form).
# @param service
#   The OpenStack service it calls: { type => ..., microversion => ... } (long form).
# @param settings
#   The plugin's own settings (long form).
# @param wrap
#   One-line form: the instance to wrap with this plugin (plugin or file), default settings.
define ec2gw::plugin (
  Enum['present', 'absent'] $ensure = 'present',
  Pattern[/\A[0-9]{2}\z/] $order = '60',
  Optional[Pattern[/\A[A-Za-z0-9_.-]+\z/]] $plugin = undef,
  Optional[Stdlib::Absolutepath] $file = undef,
  Pattern[/\A[A-Za-z0-9_.-]+\z/] $instance = $title,
  Optional[String[1]] $wraps = undef,
  Optional[Array[String[1], 1]] $actions = undef,
  Optional[Hash[String[1], String[1]]] $service = undef,
  Hash[String[1], Data] $settings = {},
  Optional[Pattern[/\A[A-Za-z0-9_.-]+\z/]] $wrap = undef,
) {
  unless defined(Class['ec2gw']) {
    fail('ec2gw::plugin needs class ec2gw (its conf_dir and service)')
  }
  unless $title =~ /\A[A-Za-z0-9_.-]+\z/ {
    fail("ec2gw::plugin '${title}': the title names a conf.d file: letters, digits, _ . - only")
  }
  if ($plugin == undef) == ($file == undef) {
    fail("ec2gw::plugin '${title}': give exactly one of plugin (a name) or file (a path)")
  }
  if $wrap != undef and ($wraps != undef or $actions != undef or $service != undef or !$settings.empty) {
    fail("ec2gw::plugin '${title}': wrap is the one-line form: no wraps, actions, service or settings")
  }

  ec2gw::dropin { "${order}-${title}.yaml":
    ensure  => $ensure,
    content => epp('ec2gw/plugin.yaml.epp', {
        'title'    => $title,
        'plugin'   => $plugin,
        'file'     => $file,
        'instance' => $instance,
        'wraps'    => $wraps,
        'actions'  => $actions,
        'service'  => $service,
        'settings' => $settings,
        'wrap'     => $wrap,
    }),
  }
}
