// The batch-system workflow through aws-sdk-go v1 (Debian golang-github-aws-aws-sdk-go-dev),
// built offline with Debian's Go by tests/integration/test_client_go.py (GOPATH mode, GOPATH
// including /usr/share/gocode). The EC2 client with a custom endpoint: SigV4, API version
// 2016-11-15, POST, waiters. Environment and output as in clients/clientrun.py.
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/ec2"
)

const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0SQ1/b5qx5JDVc+kSgsx0JeN+mWZ0hUuvmFa5CnEX it"

var failed []string

func step(name string, ok bool, detail string) bool {
	word := "ok"
	if !ok {
		word = "FAIL"
		failed = append(failed, name)
	}
	fmt.Printf("%s %s\t%s\n", word, name, strings.ReplaceAll(detail, "\n", "\\n"))
	return ok
}

func check(name string, err error) bool {
	if err != nil {
		return step(name, false, err.Error())
	}
	return true
}

// waiter options: poll every 2 s for up to 5 minutes
func poll(w *request.Waiter) {
	w.MaxAttempts = 150
	w.Delay = request.ConstantWaiterDelay(2 * time.Second)
}

func ids(insts []*ec2.Instance) []string {
	var out []string
	for _, i := range insts {
		out = append(out, aws.StringValue(i.InstanceId))
	}
	sort.Strings(out)
	return out
}

func notFound(err error, code string) string {
	if aerr, ok := err.(awserr.RequestFailure); ok && aerr.Code() == code && aerr.StatusCode() == 400 {
		return ""
	}
	return fmt.Sprintf("%v", err)
}

func run() {
	env := os.Getenv
	runID := env("EC2GW_RUN")
	sess := session.Must(session.NewSession(&aws.Config{
		Endpoint:    aws.String(env("EC2GW_URL")),
		Region:      aws.String("RegionOne"),
		Credentials: credentials.NewStaticCredentials(env("EC2GW_ACCESS_KEY"), env("EC2GW_SECRET_KEY"), ""),
		MaxRetries:  aws.Int(1),
	}))
	svc := ec2.New(sess)
	step("client", svc.APIVersion == "2016-11-15", fmt.Sprintf("aws-sdk-go %s, SigV4, API version %s", aws.SDKVersion, svc.APIVersion))

	zones, err := svc.DescribeAvailabilityZones(&ec2.DescribeAvailabilityZonesInput{})
	if check("DescribeAvailabilityZones", err) {
		step("DescribeAvailabilityZones", len(zones.AvailabilityZones) == 1 && aws.StringValue(zones.AvailabilityZones[0].ZoneName) == "nova", "")
	}
	imgs, err := svc.DescribeImages(&ec2.DescribeImagesInput{Filters: []*ec2.Filter{{Name: aws.String("name"), Values: aws.StringSlice([]string{"cirros-fake"})}}})
	if !check("DescribeImages", err) || !step("DescribeImages", len(imgs.Images) == 1, fmt.Sprint(len(imgs.Images))) {
		return
	}
	ami := aws.StringValue(imgs.Images[0].ImageId)

	kname, iname := runID+"-key", runID+"-imp"
	kp, err := svc.CreateKeyPair(&ec2.CreateKeyPairInput{KeyName: aws.String(kname)})
	if check("CreateKeyPair", err) {
		step("CreateKeyPair", strings.Contains(aws.StringValue(kp.KeyMaterial), "PRIVATE KEY"), aws.StringValue(kp.KeyFingerprint))
	}
	imp, err := svc.ImportKeyPair(&ec2.ImportKeyPairInput{KeyName: aws.String(iname), PublicKeyMaterial: []byte(pub)})
	if check("ImportKeyPair", err) {
		step("ImportKeyPair", aws.StringValue(imp.KeyName) == iname, aws.StringValue(imp.KeyFingerprint))
	}
	kps, err := svc.DescribeKeyPairs(&ec2.DescribeKeyPairsInput{KeyNames: aws.StringSlice([]string{kname, iname})})
	if check("DescribeKeyPairs", err) {
		step("DescribeKeyPairs", len(kps.KeyPairs) == 2, "")
	}

	userData := "#!/bin/sh\necho hello from aws-sdk-go\n"
	res, err := svc.RunInstances(&ec2.RunInstancesInput{
		ImageId: aws.String(ami), MinCount: aws.Int64(2), MaxCount: aws.Int64(2),
		KeyName: aws.String(kname), InstanceType: aws.String("t2.micro"),
		Placement: &ec2.Placement{AvailabilityZone: aws.String("nova")},
		UserData:  aws.String(base64.StdEncoding.EncodeToString([]byte(userData))),
		TagSpecifications: []*ec2.TagSpecification{{ResourceType: aws.String("instance"),
			Tags: []*ec2.Tag{{Key: aws.String("Name"), Value: aws.String(runID)}, {Key: aws.String("batch"), Value: aws.String(runID)}}}},
	})
	if !check("RunInstances", err) {
		return
	}
	all := ids(res.Instances)
	step("RunInstances", len(all) == 2, strings.Join(all, " "))
	defer func() {
		_, err := svc.TerminateInstances(&ec2.TerminateInstancesInput{InstanceIds: aws.StringSlice(all)})
		if check("TerminateInstances", err) {
			err = svc.WaitUntilInstanceTerminatedWithContext(aws.BackgroundContext(), &ec2.DescribeInstancesInput{InstanceIds: aws.StringSlice(all)}, poll)
			step("WaitUntilInstanceTerminated", err == nil, fmt.Sprintf("%v", err))
		}
		_, err = svc.DeleteKeyPair(&ec2.DeleteKeyPairInput{KeyName: aws.String(kname)})
		_, err2 := svc.DeleteKeyPair(&ec2.DeleteKeyPairInput{KeyName: aws.String(iname)})
		step("DeleteKeyPair", err == nil && err2 == nil, fmt.Sprintf("%v %v", err, err2))
	}()
	err = svc.WaitUntilInstanceRunningWithContext(aws.BackgroundContext(), &ec2.DescribeInstancesInput{InstanceIds: aws.StringSlice(all)}, poll)
	step("WaitUntilInstanceRunning", err == nil, fmt.Sprintf("%v", err))

	var found []*ec2.Instance
	err = svc.DescribeInstancesPages(&ec2.DescribeInstancesInput{Filters: []*ec2.Filter{
		{Name: aws.String("tag:batch"), Values: aws.StringSlice([]string{runID})},
		{Name: aws.String("instance-state-name"), Values: aws.StringSlice([]string{"running"})}}},
		func(p *ec2.DescribeInstancesOutput, last bool) bool {
			for _, r := range p.Reservations {
				found = append(found, r.Instances...)
			}
			return true
		})
	if check("DescribeInstances filter", err) {
		step("DescribeInstances filter", strings.Join(ids(found), " ") == strings.Join(all, " "), strings.Join(ids(found), " "))
	}
	id := all[0]
	attr, err := svc.DescribeInstanceAttribute(&ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: aws.String("userData")})
	if check("DescribeInstanceAttribute userData", err) {
		got, _ := base64.StdEncoding.DecodeString(aws.StringValue(attr.UserData.Value))
		step("DescribeInstanceAttribute userData", string(got) == userData, string(got))
	}
	out, err := svc.GetConsoleOutput(&ec2.GetConsoleOutputInput{InstanceId: aws.String(id)})
	if check("GetConsoleOutput", err) {
		text, _ := base64.StdEncoding.DecodeString(aws.StringValue(out.Output))
		step("GetConsoleOutput", strings.Contains(string(text), "FAKE CONSOLE OUTPUT"), string(text[:20]))
	}
	_, err = svc.CreateTags(&ec2.CreateTagsInput{Resources: aws.StringSlice([]string{id}), Tags: []*ec2.Tag{{Key: aws.String("stage"), Value: aws.String("")}}})
	tags, err2 := svc.DescribeTags(&ec2.DescribeTagsInput{Filters: []*ec2.Filter{{Name: aws.String("resource-id"), Values: aws.StringSlice([]string{id})}}})
	if check("CreateTags", err) && check("DescribeTags", err2) {
		step("CreateTags/DescribeTags", len(tags.Tags) == 3, fmt.Sprint(len(tags.Tags), " tags"))
	}

	_, err = svc.StopInstances(&ec2.StopInstancesInput{InstanceIds: aws.StringSlice([]string{id})})
	if check("StopInstances", err) {
		err = svc.WaitUntilInstanceStoppedWithContext(aws.BackgroundContext(), &ec2.DescribeInstancesInput{InstanceIds: aws.StringSlice([]string{id})}, poll)
		step("WaitUntilInstanceStopped", err == nil, fmt.Sprintf("%v", err))
	}
	_, err = svc.StartInstances(&ec2.StartInstancesInput{InstanceIds: aws.StringSlice([]string{id})})
	if check("StartInstances", err) {
		err = svc.WaitUntilInstanceRunningWithContext(aws.BackgroundContext(), &ec2.DescribeInstancesInput{InstanceIds: aws.StringSlice([]string{id})}, poll)
		step("running again", err == nil, fmt.Sprintf("%v", err))
	}
	_, err = svc.RebootInstances(&ec2.RebootInstancesInput{InstanceIds: aws.StringSlice([]string{all[1]})})
	step("RebootInstances", err == nil, fmt.Sprintf("%v", err))

	if os.Getenv("EC2GW_NETWORK") == "1" {
		network(svc, runID, id)
	}

	_, err = svc.DescribeInstances(&ec2.DescribeInstancesInput{InstanceIds: aws.StringSlice([]string{"i-0123456789abcdef0"})})
	msg := notFound(err, "InvalidInstanceID.NotFound")
	step("unknown instance", msg == "", msg)
	_, err = svc.DescribeKeyPairs(&ec2.DescribeKeyPairsInput{KeyNames: aws.StringSlice([]string{runID + "-nope"})})
	msg = notFound(err, "InvalidKeyPair.NotFound")
	step("unknown key pair", msg == "", msg)
}

// Security group with an ingress rule, an elastic address associated with the instance.
func network(svc *ec2.EC2, runID, id string) {
	sg, err := svc.CreateSecurityGroup(&ec2.CreateSecurityGroupInput{GroupName: aws.String(runID + "-sg"), Description: aws.String("aws-sdk-go test group")})
	if !check("CreateSecurityGroup", err) {
		return
	}
	gid := sg.GroupId
	step("CreateSecurityGroup", strings.HasPrefix(aws.StringValue(gid), "sg-"), aws.StringValue(gid))
	defer func() {
		_, err := svc.DeleteSecurityGroup(&ec2.DeleteSecurityGroupInput{GroupId: gid})
		step("DeleteSecurityGroup", err == nil, fmt.Sprintf("%v", err))
	}()
	_, err = svc.AuthorizeSecurityGroupIngress(&ec2.AuthorizeSecurityGroupIngressInput{GroupId: gid, IpPermissions: []*ec2.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int64(22), ToPort: aws.Int64(22),
		IpRanges: []*ec2.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}})
	groups, err2 := svc.DescribeSecurityGroups(&ec2.DescribeSecurityGroupsInput{GroupIds: []*string{gid}})
	if check("AuthorizeSecurityGroupIngress", err) && check("DescribeSecurityGroups", err2) {
		perms := groups.SecurityGroups[0].IpPermissions
		step("AuthorizeSecurityGroupIngress", len(perms) == 1 && aws.Int64Value(perms[0].FromPort) == 22 &&
			len(perms[0].IpRanges) == 1 && aws.StringValue(perms[0].IpRanges[0].CidrIp) == "10.0.0.0/8", fmt.Sprint(len(perms), " permissions"))
	}
	addr, err := svc.AllocateAddress(&ec2.AllocateAddressInput{Domain: aws.String("vpc")})
	if !check("AllocateAddress", err) {
		return
	}
	step("AllocateAddress", aws.StringValue(addr.PublicIp) != "", aws.StringValue(addr.PublicIp))
	defer func() {
		_, err := svc.ReleaseAddress(&ec2.ReleaseAddressInput{AllocationId: addr.AllocationId})
		step("ReleaseAddress", err == nil, fmt.Sprintf("%v", err))
	}()
	assoc, err := svc.AssociateAddress(&ec2.AssociateAddressInput{AllocationId: addr.AllocationId, InstanceId: aws.String(id)})
	if !check("AssociateAddress", err) {
		return
	}
	got, err := svc.DescribeAddresses(&ec2.DescribeAddressesInput{AllocationIds: []*string{addr.AllocationId}})
	if check("DescribeAddresses", err) {
		step("AssociateAddress", len(got.Addresses) == 1 && aws.StringValue(got.Addresses[0].InstanceId) == id, got.String())
	}
	_, err = svc.DisassociateAddress(&ec2.DisassociateAddressInput{AssociationId: assoc.AssociationId})
	step("DisassociateAddress", err == nil, fmt.Sprintf("%v", err))
}

func main() {
	run()
	if len(failed) > 0 {
		os.Exit(1)
	}
}
