# @summary The ec2gw package (ec2gwd, ec2gw-manage, the stock plugins, the ec2gw user).
#
# @api private
class ec2gw::install {
  assert_private()

  if $ec2gw::manage_package {
    # Puppet leaves the package's conffiles as shipped, so an upgrade replaces them silently;
    # a conffile someone changed by hand is kept without a prompt (--force-confold).
    package { $ec2gw::package_name:
      ensure          => $ec2gw::package_ensure,
      source          => $ec2gw::package_source,
      install_options => $ec2gw::package_install_options,
      configfiles     => 'keep',
    }
  }
}
