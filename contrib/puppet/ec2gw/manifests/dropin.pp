# @summary One of Puppet's conf.d files: staged, then written once the merged conf.d passes.
#
# The staged copy is what Exec['ec2gw check conf.d'] checks; the file in conf.d follows only
# when the check passes, and its change reloads the daemon.
#
# @api private
#
# @param ensure
#   'present' or 'absent'.
# @param content
#   The file's content (present).
define ec2gw::dropin (
  Enum['present', 'absent'] $ensure = 'present',
  Optional[String] $content = undef,
) {
  $file_ensure = $ensure ? { 'present' => file, default => absent }
  $file_content = $ensure ? { 'present' => $content, default => undef }
  $reload = $ec2gw::manage_service ? { true => Exec['ec2gw reload'], default => [] }

  file { "${ec2gw::staging_dir}/${title}":
    ensure  => $file_ensure,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => $file_content,
    before  => Exec['ec2gw check conf.d'],
  }
  file { "${ec2gw::conf_dir}/${title}":
    ensure  => $file_ensure,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    content => $file_content,
    require => Exec['ec2gw check conf.d'],
    notify  => $reload,
  }
}
