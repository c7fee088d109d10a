#!/usr/bin/python3
"""Writes udkit's real-world corpus: every document of testdata/realworld and
its MANIFEST.yaml. Each document is written here from scratch, with udkit's
own content, modelled on the structure and quirks of the public source the
manifest names; nothing is fetched or copied. Byte-level layering (CRLF,
gzip with mtime 0, base64) is done here so the files need no hand editing.

    /usr/bin/python3 testdata/realworld/generate.py testdata/realworld

(PyYAML, which cloud-init's Python has, writes the manifest.)"""
import base64, gzip, io, os, sys, json

OUT = sys.argv[1]
docs = []  # (name, bytes, meta)

def gz(b):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(b)
    return buf.getvalue()

def b64(b, width=0):
    s = base64.b64encode(b).decode()
    if width:
        s = "\n".join(s[i:i+width] for i in range(0, len(s), width)) + "\n"
    return s.encode()

def add(name, data, **meta):
    if isinstance(data, str):
        data = data.encode("utf-8")
    docs.append((name, data, meta))

def src(repo, path, commit):
    return {"repo": repo, "path": path, "commit": commit}

CI = "canonical/cloud-init"
# ---------------------------------------------------------------- EKS / Karpenter
add("eks-al2-myboundary.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==MYBOUNDARY=="

--==MYBOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
set -ex
exec > >(tee /var/log/node-init.log | logger -t node-init -s 2>/dev/console) 2>&1
/etc/eks/bootstrap.sh demo-cluster --b64-cluster-ca QUJDREVG --apiserver-endpoint https://example.eks.test --dns-cluster-ip 10.100.0.10

--==MYBOUNDARY==--""",
    source=src("marcincuber/eks", "terraform/userdata.tpl", "5aa1c82420cb2a72d7bf7b7a5eb641e3f8a147ce"),
    models="EKS managed node group launch-template user data for AL2 (bootstrap.sh)",
    quirks=["boundary ==MYBOUNDARY== quoted", "charset parameter on the part", "no newline after the close delimiter", "LF line endings"],
    boots=True)

add("eks-nodegroup-no-blank-after-headers.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="/:/+++"

--/:/+++
Content-Type: text/x-shellscript; charset="us-ascii"
#!/bin/bash

# multipart so that EKS can append its own part

export KUBELET_EXTRA_ARGS="--node-labels=role=worker"

/etc/eks/bootstrap.sh --apiserver-endpoint 'https://example.eks.test' --b64-cluster-ca 'QUJD' 'demo'

--/:/+++--
""",
    source=src("cloudposse/terraform-aws-eks-node-group", "userdata.tpl", "93563d65b7a4a6f9cd5fe62c8809d5141288048a"),
    models="cloudposse EKS node group template",
    quirks=["no blank line between the part headers and the #! line (the #! line ends the header block)", "boundary with / : + characters"],
    boots=True)

KARP_CUSTOM = "#!/bin/bash\necho \"custom user data from the EC2NodeClass\"\n"
KARP_BOOT = "#!/bin/bash -xe\nexec > >(tee /var/log/user-data.log|logger -t user-data -s 2>/dev/console) 2>&1\n/etc/eks/bootstrap.sh 'demo' --apiserver-endpoint 'https://example.eks.test' --b64-cluster-ca 'QUJD' \\\n--use-max-pods false \\\n--kubelet-extra-args '--node-labels=karpenter.sh/capacity-type=on-demand --max-pods=110'"
karp = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"//\"\n\n"
        "--//\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\n\n" + KARP_CUSTOM +
        "\n--//\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\n\n" + KARP_BOOT + "\n--//--\n")
KARP_SRC = src("aws/karpenter-provider-aws", "pkg/providers/amifamily/bootstrap/eksbootstrap.go", "15a4cab9899f82fc4043513259906c94086a9421")
add("karpenter-eks-merged.txt", karp, source=KARP_SRC,
    models="Karpenter's merge of custom user data and its bootstrap script (mergeCustomUserData; Go mime/multipart with every CR removed)",
    quirks=["boundary //", "Go multipart writer layout with CRs stripped: blank line before each delimiter belongs to the previous part", "two text/x-shellscript parts without filenames (cloud-init names them part-001, part-002)"],
    boots=True)
add("karpenter-eks-merged-base64.txt", base64.b64encode(karp.encode()), source=KARP_SRC,
    models="the same merge as Karpenter hands it to EC2: base64 of the whole document (Script() returns base64)",
    quirks=["whole document base64, one line, as EC2's API takes it; cloud-init itself never sees the base64"],
    boots=True)
add("karpenter-custom-mime-passthrough.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
echo "running the custom part first"

--//
Content-Type: text/cloud-config; charset="us-ascii"

#cloud-config
runcmd:
  - [sh, -c, "echo cloud-config part ran > /var/log/custom-cc.log"]

--//
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash -xe
/etc/eks/bootstrap.sh 'demo' --apiserver-endpoint 'https://example.eks.test' --b64-cluster-ca 'QUJD'
--//--
""", source=src("aws/karpenter-provider-aws", "pkg/providers/amifamily/bootstrap/mime/test_data/mime_valid.txt", "4875dcd4a3710600c4e2931763c05668ed09a2a6"),
    models="custom MIME user data that Karpenter copies part by part into its merged document",
    quirks=["mixed script and cloud-config parts under boundary //", "last part ends directly at the close delimiter (no blank line)"], boots=True)

add("eks-al2023-nodeadm.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUNDARY"

--BOUNDARY
Content-Type: application/node.eks.aws

---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: demo
    apiServerEndpoint: https://example.eks.test
    certificateAuthority: QUJD
    cidr: 10.100.0.0/16

--BOUNDARY
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
echo "after nodeadm" >> /var/log/after-nodeadm.log

--BOUNDARY--
""", source=src("aws-samples/amazon-eks-running-webassembly", "terraform/templates/user-data.tpl", "c684bda3c9ff6239f5469077bc4569c83515290e"),
    models="AL2023 user data: a NodeConfig part for nodeadm next to a shell part for cloud-init",
    quirks=["application/node.eks.aws part: no cloud-init handler, read by nodeadm", "YAML document start --- inside the part"], boots=True)

add("eks-crlf-template.txt", ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"==BOUNDARY==\"\r\n\r\n"
    "--==BOUNDARY==\r\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\r\n\r\n"
    "#!/bin/bash\r\nset -ex\r\n/etc/eks/bootstrap.sh demo --b64-cluster-ca QUJD --apiserver-endpoint https://example.eks.test\r\n\r\n--==BOUNDARY==--\r\n"),
    source=src("samuelberston/secure-auth-project", "terraform/templates/userdata.tpl", "60e366495b46b972b5229c8c45d634a1b36fdaf5"),
    models="EKS template saved with Windows line endings",
    quirks=["CRLF everywhere, consistently", "script body with CRLF (cloud-init's shell handler runs dos2unix on it)"], boots=True)

add("eks-mixed-line-endings.txt", ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"==BOUNDARY==\"\n\n"
    "--==BOUNDARY==\r\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\r\n\r\n"
    "#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh demo\n\n--==BOUNDARY==--\n"),
    source=src("vinay9354/aws_infra", "modules/compute/eks/templates/al2_user_data.tpl", "c7e0ba6d28372995c15eee365c588d4e931cf703"),
    models="EKS template whose part header block was pasted from a CRLF file",
    quirks=["LF top headers, CRLF part headers, LF body: mixed line endings in the MIME structure"], boots=True)

add("eks-pluralsh-garbled-close.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==MYBOUNDARY=="
--==MYBOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"
#!/bin/bash
set -e
B64_CLUSTER_CA=QUJD
API_SERVER_URL=https://example.eks.test
/etc/eks/bootstrap.sh demo --b64-cluster-ca $B64_CLUSTER_CA --apiserver-endpoint $API_SERVER_URL --use-max-pods false
--==MYBOUNDARY==--\\
""", source=src("pluralsh/module-library", "terraform/eks-node-groups/user-data/linux_user_data.tpl", "c61b23e2c36a26f846da8892f08610ac8fda78f3"),
    models="EKS template whose close delimiter carries a stray backslash from a template line continuation",
    quirks=["no blank line after the top headers: the start delimiter ends the header block", "no blank line after the part headers", "close delimiter line '--==MYBOUNDARY==--\\\\' is not a delimiter, so the document has no close delimiter and the line becomes the script's last command"],
    boots=True, note="the bootstrap runs; the stray last line then fails under set -e, so the script exits 127 after doing its work")

# ---------------------------------------------------------------- ParallelCluster
PC_BOOTHOOK = """#!/bin/bash -x

which dnf 2>/dev/null; dnf=$?
if [ "$dnf" == "0" ]; then
  echo "proxy=http://proxy.example.test:3128" >> /etc/dnf/dnf.conf
fi
"""
add("parallelcluster-head-node.txt", """Content-Type: multipart/mixed; boundary="==BOUNDARY=="
MIME-Version: 1.0

--==BOUNDARY==
Content-Type: text/cloud-boothook; charset="us-ascii"
MIME-Version: 1.0

""" + PC_BOOTHOOK + """
--==BOUNDARY==
Content-Type: text/cloud-config; charset=us-ascii
MIME-Version: 1.0

bootcmd:
  # turn off SMT siblings before the scheduler starts
  - if [ "false" = "true" ]; then echo off > /sys/devices/system/cpu/smt/control; fi
package_update: false
package_upgrade: false
repo_upgrade: none
datasource_list: [ Ec2, None ]
output:
  all: "| tee -a /var/log/cloud-init-output.log | logger -t user-data -s 2>/dev/console"
write_files:
  - path: /tmp/dna.json
    permissions: '0644'
    owner: root:root
    content: |
      {"cluster": {"node_type": "HeadNode", "scheduler": "slurm"}}

--==BOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"
MIME-Version: 1.0

#!/bin/bash -x
function error_exit { echo "$1"; exit 1; }
cd /tmp || error_exit "no /tmp"
test -f /tmp/dna.json || error_exit "no dna.json"
echo "head node bootstrap done"
--==BOUNDARY==--
""", source=src("aws/aws-parallelcluster", "cli/src/pcluster/resources/head_node/user_data.sh", "706ccba34921d9cc4ba3e9984da848dff3dc1dd0"),
    models="AWS ParallelCluster head node user data (CloudFormation Fn::Sub template)",
    quirks=["Content-Type before MIME-Version at the top", "MIME-Version repeated in every part", "text/cloud-config part WITHOUT a #cloud-config line (starts with bootcmd:)", "charset=us-ascii unquoted in one part, quoted in the others", "write_files into /tmp consumed by the script in the same boot"],
    boots=True)
add("parallelcluster-compute-node.txt", """Content-Type: multipart/mixed; boundary="==BOUNDARY=="
MIME-Version: 1.0

--==BOUNDARY==
Content-Type: text/cloud-boothook; charset="us-ascii"
MIME-Version: 1.0

""" + PC_BOOTHOOK + """
--==BOUNDARY==
Content-Type: text/cloud-config; charset=us-ascii
MIME-Version: 1.0

package_update: false
package_upgrade: false
repo_upgrade: none

datasource_list: [ Ec2, None ]
write_files:
  - path: /tmp/dna.json
    permissions: '0644'
    owner: root:root
    content: |
      {"cluster": {"node_type": "ComputeFleet", "queue": "q1"}}
  - path: /etc/chef/client.rb
    permissions: '0644'
    owner: root:root
    content: cookbook_path ['/etc/chef/cookbooks']

--==BOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"
MIME-Version: 1.0

#!/bin/bash -x
echo "compute node $(hostname) joining slurm" >> /var/log/compute-join.log
--==BOUNDARY==--
""", source=src("aws/aws-parallelcluster", "cli/src/pcluster/resources/compute_node/user_data.sh", "0a0950a6646a63ba489449fc8ac68224e029d20f"),
    models="AWS ParallelCluster compute node user data",
    quirks=["text/cloud-config part without #cloud-config (starts with package_update:)", "flow list with inner spaces [ Ec2, None ]", "/tmp write_files"], boots=True)

# ---------------------------------------------------------------- misc Terraform templates
add("bastion-cloud-config-space-header.txt", """Content-Type: multipart/mixed; boundary="//"
MIME-Version: 1.0

--//
Content-Type: text/cloud-config; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="cloud-config.txt"

# cloud-config
cloud_final_modules:
- [scripts-user, always]

--//
Content-Type: text/x-shellscript; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="userdata.txt"

#!/bin/bash
dnf install -y git jq
systemctl enable --now amazon-ssm-agent
--//--""", source=src("cnc4e/terraform-aws-bastion", "modules/bastion/script/userdata.sh", "7f7c11697c555ef5d11c63f7e415b6e72016b950"),
    models="the widely copied 'run user data at every boot' template (cloud_final_modules scripts-user always)",
    quirks=["'# cloud-config' with a space: not a type line, but the part is typed by its Content-Type, so it is a YAML comment", "Content-Transfer-Encoding: 7bit and filenames cloud-config.txt / userdata.txt", "no newline at the end"],
    boots=True)
add("eks-warm-pool-every-boot.txt", """Content-Type: multipart/mixed; boundary="//"
MIME-Version: 1.0

--//
Content-Type: text/cloud-config; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="cloud-config.txt"

#cloud-config
cloud_final_modules:
- [scripts-user, always]

--//
Content-Type: text/x-shellscript; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="userdata.txt"

#!/bin/bash
set -ex
if grep -q InService /run/lifecycle-state 2>/dev/null; then
    /etc/eks/bootstrap.sh demo --use-max-pods false
fi
--//--""", source=src("quortex/terraform-aws-eks-cluster", "userdata-warm.sh.tpl", "9da1b84739b359bc7b23a03855ad8ccc7f2c5214"),
    models="EKS warm-pool template that re-runs the script at every boot",
    quirks=["same layout as the bastion template but with a real #cloud-config line", "no newline at the end"], boots=True)

# ---------------------------------------------------------------- Terraform cloudinit provider
TFP = src("hashicorp/terraform-provider-cloudinit", "internal/provider/data_source_cloudinit_config_test.go", "36a010e6de97947fa3dd9860fb062250e271d6bd")
def tf(parts, boundary="MIMEBOUNDARY"):
    s = 'Content-Type: multipart/mixed; boundary="%s"\nMIME-Version: 1.0\r\n\r\n' % boundary
    for p in parts:
        s += "--%s\r\n" % boundary
        hs = []
        if p.get("filename"):
            hs.append('Content-Disposition: attachment; filename="%s"' % p["filename"])
        hs.append("Content-Transfer-Encoding: 7bit")
        hs.append("Content-Type: %s" % p.get("type", "text/plain"))
        hs.append("Mime-Version: 1.0")
        if p.get("merge"):
            hs.append("X-Merge-Type: %s" % p["merge"])
        s += "\r\n".join(hs) + "\r\n\r\n" + p["content"] + "\r\n"
    s += "--%s--\r\n" % boundary
    return s
TF_Q = ["first top header line ends in LF, everything after in CRLF (mixed line endings in the MIME structure)", "headers sorted by name: Content-Disposition, Content-Transfer-Encoding, Content-Type, Mime-Version", "'Mime-Version' in mixed case inside parts"]
add("terraform-cloudinit-two-parts.txt", tf([
    {"type": "text/x-shellscript", "filename": "hello-script.sh", "content": "#!/bin/sh\necho \"Hello World! I'm starting up now at $(date -R)!\""},
    {"type": "text/cloud-config", "filename": "cloud-config.yaml", "content": "#cloud-config\npackages:\n  - nginx\nruncmd:\n  - systemctl enable --now nginx"}]),
    source=TFP, models="cloudinit_config data source, gzip=false base64_encode=false, the provider's own example inputs",
    quirks=TF_Q + ["part bodies with LF inside a CRLF structure"], boots=True)
add("terraform-cloudinit-merge-type.txt", tf([
    {"type": "text/cloud-config", "filename": "base.yaml", "merge": "list(append)+dict(recurse_array)+str()", "content": "#cloud-config\nruncmd:\n  - echo base"},
    {"type": "text/cloud-config", "filename": "extra.yaml", "merge": "list(append)+dict(recurse_array)+str()", "content": "#cloud-config\nruncmd:\n  - echo extra"}]),
    source=TFP, models="cloudinit_config with merge_type on each part", quirks=TF_Q + ["X-Merge-Type on both cloud-config parts"], boots=True)
add("terraform-cloudinit-slash-boundary.txt", tf([
    {"type": "text/x-shellscript", "content": "#!/bin/bash\nyum install -y amazon-cloudwatch-agent"}], boundary="//"),
    source=TFP, models="cloudinit_config with boundary = \"//\" (set so EKS can merge it)", quirks=TF_Q + ["boundary //", "part without filename"], boots=True)
tfgz = tf([
    {"type": "text/x-shellscript", "filename": "bootstrap.sh", "content": "#!/bin/bash\necho bootstrapping > /var/log/tf-bootstrap.log"},
    {"type": "text/cloud-config", "filename": "init.cfg", "content": "#cloud-config\ntimezone: UTC\nntp:\n  enabled: true"}])
add("terraform-cloudinit-gzip-base64.txt", base64.b64encode(gz(tfgz.encode())),
    source=TFP, models="cloudinit_config with gzip=true base64_encode=true (the default)",
    quirks=["gzip of the whole MIME document, then base64 as one line", "inside: the provider's mixed LF/CRLF layout"], boots=True)
add("terraform-cloudinit-empty-content.txt", tf([
    {"type": "text/cloud-config", "content": "#cloud-config\nhostname: tf-node"},
    {"content": ""},
    {"type": "text/cloud-config", "content": ""}]),
    source=TFP, models="cloudinit_config with an empty content part (the provider's test of issue 104)",
    quirks=TF_Q + ["a text/plain part with empty content", "an empty text/cloud-config part (cloud-init logs 'empty cloud config' and goes on)"], boots=True)
add("terraform-template-plain-part.txt", tf([
    {"type": "text/cloud-config", "filename": "cc.yaml", "content": "#cloud-config\npackage_update: true"},
    {"filename": "setup.sh", "content": "#!/bin/bash\necho typed by its first line"}]),
    source=TFP, models="cloudinit_config part without content_type (defaults to text/plain)",
    quirks=TF_Q + ["text/plain part re-typed to text/x-shellscript from its #! line"], boots=True)

# ---------------------------------------------------------------- Cluster API / kubeadm
CAPI = src("kubernetes-sigs/cluster-api", "bootstrap/kubeadm/internal/cloudinit/cloudinit.go", "01154007d8030cccc44fa4a20116ce0a76a8c50f")
add("capi-kubeadm-init-jinja.txt", """## template: jinja
#cloud-config

write_files:
-   path: /etc/kubernetes/pki/ca.crt
    owner: root:root
    permissions: '0640'
    content: |
      -----BEGIN CERTIFICATE-----
      MIIBszCCAVmgAwIBAgIBADAKBggqhkjOPQQDAjAAMB4XDTI0MDEwMTAwMDAwMFoX
      -----END CERTIFICATE-----
-   path: /run/kubeadm/kubeadm.yaml
    owner: root:root
    permissions: '0640'
    content: |
      ---
      apiVersion: kubeadm.k8s.io/v1beta3
      kind: InitConfiguration
      nodeRegistration:
        name: '{{ ds.meta_data.local_hostname }}'
        kubeletExtraArgs:
          node-ip: '{{ ds.meta_data.local_ipv4 }}'
runcmd:
  - 'kubeadm init --config /run/kubeadm/kubeadm.yaml  && echo success > /run/cluster-api/bootstrap-success.complete'
""", source=CAPI, models="Cluster API kubeadm bootstrap provider, control-plane init",
    quirks=["'## template: jinja' first line, then #cloud-config", "jinja expressions inside write_files content", "write_files list indented with '-   '", "kubeadm config under /run (regenerated each boot by design, used once)"], boots=True)
add("capi-kubeadm-join-jinja.txt", """## template: jinja
#cloud-config

write_files:
-   path: /tmp/kubeadm-join-config.yaml
    owner: root:root
    permissions: '0640'
    content: |
      ---
      apiVersion: kubeadm.k8s.io/v1beta3
      kind: JoinConfiguration
      nodeRegistration:
        name: '{{ ds.meta_data.local_hostname }}'
      discovery:
        bootstrapToken:
          apiServerEndpoint: 10.0.0.10:6443
          token: abcdef.0123456789abcdef
          unsafeSkipCAVerification: true
runcmd:
  - kubeadm join --config /tmp/kubeadm-join-config.yaml
""", source=CAPI, models="Cluster API kubeadm bootstrap provider, worker join (standardJoinCommand)",
    quirks=["jinja template", "write_files into /tmp, consumed by runcmd in the same boot"], boots=True)
add("capi-kubeadm-jinja-plain.txt", """## template: jinja
#cloud-config
write_files:
-   path: /etc/sysctl.d/99-k8s.conf
    owner: root:root
    permissions: '0644'
    content: |
      net.ipv4.ip_forward = 1
runcmd:
  - sysctl --system
""", source=CAPI, models="Cluster API header on a config that uses no jinja syntax",
    quirks=["'## template: jinja' header without any {{ }} or {% %} in the body"], boots=True)

# ---------------------------------------------------------------- k3s / rke2 / hetzner
add("k3s-server-cloud-config.txt", """#cloud-config
package_update: true
packages:
  - curl
write_files:
  - path: /etc/rancher/k3s/config.yaml
    permissions: 0600
    content: |
      write-kubeconfig-mode: "0644"
      tls-san:
        - k3s.example.test
      disable:
        - traefik
runcmd:
  - curl -sfL https://get.k3s.io | INSTALL_K3S_EXEC="server" sh -
""", source=src("k3s-io/k3s", "install.sh", "0efe2af1a735fd6d4aab90bb9186240ae77a283e"),
    models="k3s server bootstrap as cloud-config (config.yaml + get.k3s.io installer in runcmd)",
    quirks=["permissions: 0600 unquoted (YAML 1.1 octal int 384, cloud-init applies mode 0600)", "pipe to sh in runcmd"], boots=True)
add("k3s-agent-script.txt", """#!/bin/sh
set -eu
export K3S_URL="https://10.0.0.10:6443"
export K3S_TOKEN="K10placeholdertoken::server:placeholder"
curl -sfL https://get.k3s.io | sh -s - agent --node-label role=worker
""", source=src("k3s-io/k3s", "install.sh", "0efe2af1a735fd6d4aab90bb9186240ae77a283e"), models="k3s agent join as a plain user-data script",
    quirks=["whole document is a #!/bin/sh script (text/x-shellscript by its first line)"], boots=True)
add("rke2-server-cloud-config.txt", """#cloud-config
write_files:
- path: /etc/rancher/rke2/config.yaml
  owner: root:root
  permissions: "0600"
  content: |
    token: placeholder-token
    tls-san:
      - rke2.example.test
runcmd:
- curl -sfL https://get.rke2.io | INSTALL_RKE2_TYPE=server sh -
- systemctl enable --now rke2-server.service
""", source=src("rancher/rke2", "install.sh", "9d03d45080237c06a0e957b36ae9609fdca468d1"), models="RKE2 server bootstrap cloud-config",
    quirks=["list items at column 0 under their key (compact YAML sequences)", "systemctl enable --now in runcmd, blocking"], boots=True)
add("hetzner-k3s-node.txt", """#cloud-config
preserve_hostname: true
write_files:
- path: /etc/systemd/system/k3s-agent.service.d/override.conf
  content: |
    [Service]
    Environment="K3S_NODE_NAME=worker-1"
- path: /etc/sysctl.d/90-kubelet.conf
  content: |
    vm.panic_on_oom=0
    vm.overcommit_memory=1
packages: [fail2ban, wireguard]
package_update: true
package_upgrade: true
runcmd:
- [ sh, -c, 'sysctl --system' ]
- [ systemctl, restart, systemd-journald ]
""", source=src("vitobotta/hetzner-k3s", "templates/cloud_init.yaml", "01c830c4b064d38af9d56091e22d536585219cbb"),
    models="hetzner-k3s node cloud-init template",
    quirks=["flow-style packages list", "argv runcmd entries with inner spaces", "drop-in unit written by write_files"], boots=True)

# ---------------------------------------------------------------- OpenStack Heat / Nova / cloudbase-init
HEAT = src("openstack/heat", "heat/engine/clients/os/nova.py", "680d7a0ecf40e6414f8b2ea143074d90d203d242")
B = "===============4823920390385521371=="
def pyemail(parts, boundary=B, top_first="ct"):
    top = ['Content-Type: multipart/mixed; boundary="%s"' % boundary, "MIME-Version: 1.0"]
    s = "\n".join(top) + "\n\n"
    for ct, fn, body in parts:
        s += "--%s\n" % boundary
        s += 'Content-Type: %s; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 7bit\n' % ct
        if fn:
            s += 'Content-Disposition: attachment; filename="%s"\n' % fn
        s += "\n" + body
        if not body.endswith("\n"):
            s += "\n"
    s += "--%s--\n" % boundary
    return s
HEAT_HANDLER = '''#part-handler
import os
import datetime


def list_types():
    return ["text/x-cfninitdata"]


def handle_part(data, ctype, filename, payload):
    if ctype == "__begin__" or ctype == "__end__":
        return
    os.makedirs("/var/lib/heat-cfntools", exist_ok=True)
    with open(os.path.join("/var/lib/heat-cfntools", filename), "w") as f:
        f.write(payload)
    with open("/var/log/part-handler.log", "a") as log:
        log.write("%s filename:%s\\n" % (datetime.datetime.now(), filename))
'''
add("heat-nova-userdata.txt", pyemail([
    ("text/cloud-config", "cloud-config", "#cloud-config\nruncmd:\n  - mkdir -p /var/lib/heat-cfntools\nuser: ec2-user\n"),
    ("text/cloud-boothook", "boothook.sh", "#!/bin/bash\nsetenforce 0 || true\nmkdir -p /var/lib/heat-cfntools\n"),
    ("text/part-handler", "part-handler.py", HEAT_HANDLER),
    ("text/x-cfninitdata", "cfn-userdata", "#!/bin/bash\necho 'user supplied script' > /var/log/heat-user.log\n"),
    ("text/x-shellscript", "loguserdata.py", "#!/usr/bin/env python3\nimport subprocess\nsubprocess.call(['/var/lib/heat-cfntools/cfn-userdata'])\n"),
    ("text/x-cfninitdata", "cfn-metadata-server", "http://heat.example.test:8000/v1/\n"),
    ("text/x-cfninitdata", "cfn-boto-cfg", "[Boto]\ndebug = 0\n"),
]), source=HEAT, models="Heat's build_userdata for OS::Nova::Server with user_data_format HEAT_CFNTOOLS (email.mime MIMEMultipart)",
    quirks=["Python email boundary ===============N==", "part handler (text/part-handler) handling custom text/x-cfninitdata parts", "filenames without extension", "cloud-config with user: ec2-user"], boots=True)
add("heat-multipart-mime-nested.txt", """Content-Type: multipart/mixed; boundary="===============6048231873650183224=="
MIME-Version: 1.0

--===============6048231873650183224==
Content-Type: text/cloud-config; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="config-one"

#cloud-config
write_files:
  - path: /etc/motd
    content: managed by heat

--===============6048231873650183224==
Content-Type: multipart/mixed; boundary="===============1830051289442130911=="
MIME-Version: 1.0

--===============1830051289442130911==
Content-Type: text/x-shellscript; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="inner-script"

#!/bin/sh
echo inner > /var/log/inner.log

--===============1830051289442130911==--

--===============6048231873650183224==--
""", source=src("openstack/heat", "heat/engine/resources/openstack/heat/multi_part.py", "48ef79c5f7c990255d0312d3c867ace44441d645"),
    models="OS::Heat::MultipartMime embedding another multipart config",
    quirks=["nested multipart/mixed part", "blank line between inner close delimiter and outer close delimiter (inner epilogue is one empty line)"], boots=True)
add("nova-user-data-script.txt", """#!/bin/bash
# passed with: openstack server create --user-data ./init.sh
echo "nameserver 10.0.0.2" > /etc/resolv.conf
yum -y install httpd
systemctl enable --now httpd
""", source=src("openstack/nova", "nova/api/metadata/base.py", "620949f2a86a3ed152388c6781d29d43806204ec"), models="plain script user data given to nova boot --user-data",
    quirks=["plain #! script"], boots=True)
add("openstack-users-cloud-config.txt", """#cloud-config
users:
  - default
  - name: ops
    gecos: Operations
    groups: [wheel, adm]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
    lock_passwd: true
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholderKeyForTestsOnly ops@example
chpasswd:
  expire: false
ssh_pwauth: false
""", source=src(CI, "doc/examples/cloud-config-user-groups.txt", "929544130fc641066a3bc504a2976b45df8ffb6d"),
    models="OpenStack tenant cloud-config creating an admin user", quirks=["users list mixing the string 'default' and mappings"], boots=True)
add("cloudbase-init-ps1-sysnative.txt", """#ps1_sysnative
$ErrorActionPreference = "Stop"
New-Item -ItemType Directory -Force -Path C:\\bootstrap | Out-Null
Set-Content -Path C:\\bootstrap\\hello.txt -Value "written by cloudbase-init"
""", source=src("cloudbase/cloudbase-init", "doc/source/userdata.rst", "75c6a0e0f873307206dfa5d3233ec2b153b06ee2"),
    models="cloudbase-init PowerShell user data (first line #ps1_sysnative)", quirks=["#ps1_sysnative header: cloudbase-init's, not cloud-init's"],
    boots=True, note="works on Windows under cloudbase-init; a Linux cloud-init would ignore it (udkit reports it as another agent's format, info)")
add("cloudbase-init-cloud-config.txt", """#cloud-config
write_files:
  - encoding: b64
    content: SGVsbG8gZnJvbSBjbG91ZGJhc2UtaW5pdAo=
    path: C:\\bootstrap\\hello.txt
    permissions: '0644'
set_hostname: win-node-1
""", source=src("cloudbase/cloudbase-init", "doc/source/userdata.rst", "75c6a0e0f873307206dfa5d3233ec2b153b06ee2"),
    models="cloudbase-init's cloud-config subset for Windows (write_files b64, set_hostname)",
    quirks=["Windows path in write_files (not absolute for cloud-init)"], boots=False, errors=["path-absolute"],
    why="written for cloudbase-init, where it works; given to cloud-init (udkit's judge) the Windows path is relative and the file lands under cloud-init's working directory")
add("cloudbase-init-multipart.txt", """Content-Type: multipart/mixed; boundary="===============1598784645116016685=="
MIME-Version: 1.0

--===============1598784645116016685==
Content-Type: text/cloud-config; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="cloud-config"

#cloud-config
set_hostname: win-node-2

--===============1598784645116016685==
Content-Type: text/x-cfninitdata; charset="us-ascii"
MIME-Version: 1.0
Content-Transfer-Encoding: 7bit
Content-Disposition: attachment; filename="cfn-userdata"

#ps1_sysnative
Write-Output "heat user data for cloudbase-init"

--===============1598784645116016685==--
""", source=src("cloudbase/cloudbase-init", "cloudbaseinit/plugins/windows/userdataplugins/heat.py", "7a9c6d23d34c078aaa4d04b1deaaeaa33932081c"),
    models="Heat multipart for a Windows guest: cloudbase-init's heat plugin runs the cfn-userdata part",
    quirks=["text/x-cfninitdata part holding a #ps1_sysnative script"], boots=True)

# ---------------------------------------------------------------- Windows agents / packer
add("ec2launch-powershell.txt", """<powershell>
$ErrorActionPreference = "Stop"
Install-WindowsFeature -Name Web-Server -IncludeManagementTools
Set-Content -Path C:\\inetpub\\wwwroot\\index.html -Value "hello"
</powershell>
<persist>true</persist>
""", source=src("aws/karpenter-provider-aws", "pkg/providers/amifamily/bootstrap/windows.go", "306c86f29e7d43d921c270227cc3cc34cee466ac"),
    models="EC2Launch user data: <powershell> block and <persist>", quirks=["XML-like <powershell> tags, no first-line header"],
    boots=True, note="works on Windows under EC2Launch; not cloud-init input")
add("ec2config-script-and-powershell.txt", """<script>
set root=%SystemDrive%
echo ec2dir>%root%\\ec2file.txt
</script>
<powershell>
$root = $env:SystemDrive
New-Item -Path "$root\\ec2dir" -ItemType Directory -Force
</powershell>
""", source=src("cloudbase/cloudbase-init", "doc/source/userdata.rst", "75c6a0e0f873307206dfa5d3233ec2b153b06ee2"),
    models="EC2 format user data with <script> and <powershell> (as cloudbase-init's docs show it)", quirks=["<script> block first"], boots=True,
    note="works under EC2Config/EC2Launch/cloudbase-init on Windows")
add("ec2launch-v2-yaml.txt", """version: 1.0
tasks:
  - task: executeScript
    inputs:
      - frequency: once
        type: powershell
        runAs: localSystem
        content: |-
          New-Item -Path 'C:\\PowerShellTest.txt' -ItemType File
""", source=src("aws/karpenter-provider-aws", "pkg/providers/amifamily/bootstrap/windows.go", "306c86f29e7d43d921c270227cc3cc34cee466ac"),
    models="EC2Launch v2 YAML agent-config user data", quirks=["YAML without #cloud-config: version: 1.0 + tasks:"], boots=True,
    note="works under EC2Launch v2 on Windows")
add("packer-windows-winrm.txt", """<powershell>
# enable WinRM for packer's communicator
winrm quickconfig -q
winrm set winrm/config/service/auth '@{Basic="true"}'
winrm set winrm/config/service '@{AllowUnencrypted="true"}'
netsh advfirewall firewall add rule name="WinRM 5985" protocol=TCP dir=in localport=5985 action=allow
Restart-Service winrm
</powershell>
""", source=src("hashicorp/packer-plugin-amazon", "docs/builders/ebs.mdx", "7dfbe568eace669573b7eb8e199c2944ee9038e3"),
    models="packer amazon-ebs Windows build: user_data_file that opens WinRM", quirks=["<powershell> with single-quoted @{...} hashes"], boots=True,
    note="works on the Windows build instance")
add("packer-linux-cloud-config.txt", """#cloud-config
# packer amazon-ebs user_data_file: keep apt away from the provisioners
bootcmd:
  - [cloud-init-per, once, disable-apt-timer, systemctl, mask, apt-daily.timer]
system_info:
  default_user:
    name: packer
ssh_pwauth: false
""", source=src("hashicorp/packer-plugin-amazon", "docs/builders/ebs.mdx", "7dfbe568eace669573b7eb8e199c2944ee9038e3"),
    models="packer Linux build user data", quirks=["bootcmd with cloud-init-per", "system_info override"], boots=True)

# ---------------------------------------------------------------- Ignition / Bottlerocket
add("ignition-v3-json.txt", json.dumps({"ignition": {"version": "3.3.0"},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholder core@example"]}]},
    "storage": {"files": [{"path": "/etc/hostname", "mode": 420, "contents": {"source": "data:,fcos-node"}}]},
    "systemd": {"units": [{"name": "hello.service", "enabled": True, "contents": "[Unit]\nDescription=hello\n[Service]\nType=oneshot\nExecStart=/usr/bin/echo hello\n[Install]\nWantedBy=multi-user.target\n"}]}}),
    source=src("coreos/ignition", "docs/examples.md", "bea66ad167175449993c65d05b1dbd8a2be50e44"), models="Ignition v3 config as Fedora CoreOS / Flatcar user data",
    quirks=["single-line JSON", "a unit inside the JSON"], boots=True, note="works under Ignition; not cloud-init input")
add("ignition-v2-pretty.txt", json.dumps({"ignition": {"version": "2.2.0", "config": {}},
    "storage": {"files": [{"filesystem": "root", "path": "/etc/motd", "mode": 420, "contents": {"source": "data:,hello"}}]}}, indent=2) + "\n",
    source=src("coreos/ignition", "docs/migrating-configs.md", "799792c4b6fa6f7a284a431d815d9beefee61b22"), models="Ignition spec 2.2 config (Container Linux era), pretty-printed",
    quirks=["indented JSON, first line '{'"], boots=True)
add("ignition-pointer.txt", '{"ignition":{"version":"3.4.0","config":{"replace":{"source":"https://config.example.test/worker.ign"}}}}',
    source=src("openshift/installer", "pkg/asset/ignition/machine/node.go", "not in the search index; modelled from its documentation"),
    models="OpenShift/OKD pointer Ignition config (user data that replaces itself with a config from the machine config server)",
    quirks=["no trailing newline", "config.replace.source URL"], boots=True)
add("bottlerocket-toml.txt", """[settings.kubernetes]
api-server = "https://example.eks.test"
cluster-name = "demo"
cluster-certificate = "QUJD"

[settings.kubernetes.node-labels]
"karpenter.sh/capacity-type" = "on-demand"

[settings.host-containers.admin]
enabled = false
""", source=src("aws/karpenter-provider-aws", "pkg/providers/amifamily/bootstrap/bottlerocket.go", "83bbdf05864fd3dabb2e66bf4e47747e696a2309"),
    models="Bottlerocket TOML settings as Karpenter generates them", quirks=["TOML tables [settings.*] that look like unit sections", "quoted TOML keys"],
    boots=True, note="works on Bottlerocket; not cloud-init input (and not a systemd unit)")
add("bottlerocket-settings-only.txt", """[settings]
motd = "managed node"

[settings.ntp]
time-servers = ["169.254.169.123"]
""", source=src("bottlerocket-os/bottlerocket", "README.md", "9b523303dc2e378508408216760d6a269e8b362d"), models="Bottlerocket user data with a bare [settings] table",
    quirks=["[settings] table first"], boots=True)

# ---------------------------------------------------------------- cloud-init's own tools and examples
MM = src(CI, "cloudinit/cmd/devel/make_mime.py", "5895cef2e9b197389bdfd9b8387faa70a6da3239")
add("make-mime-two-parts.txt", pyemail([
    ("text/cloud-config", "config.yaml", "#cloud-config\nhostname: made-by-make-mime\nruncmd:\n  - echo hi\n"),
    ("text/x-shellscript", "script.sh", "#!/bin/sh\necho script part\n")], boundary="===============7913154396441541023=="),
    source=MM, models="cloud-init devel make-mime -a config.yaml:cloud-config -a script.sh:x-shellscript",
    quirks=["Python email MIMEText headers in email's order", "charset=\"us-ascii\"", "7bit"], boots=True)
mm_utf8 = ('Content-Type: multipart/mixed; boundary="===============2251468329950744932=="\nMIME-Version: 1.0\n\n'
    '--===============2251468329950744932==\nContent-Type: text/cloud-config; charset="utf-8"\nMIME-Version: 1.0\n'
    'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="motd.yaml"\n\n' +
    b64("#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: \"Grüße aus der Wolke ☁\\n\"\n".encode(), 76).decode() +
    '\n--===============2251468329950744932==--\n')
add("make-mime-utf8-base64.txt", mm_utf8, source=MM, models="make-mime on a part with non-ASCII text: email picks charset utf-8 and base64",
    quirks=["Content-Transfer-Encoding: base64 with 76-column lines", "charset=\"utf-8\"", "blank line between the base64 and the close delimiter"], boots=True)
add("make-mime-boothook-and-jinja.txt", pyemail([
    ("text/cloud-boothook", "boothook.sh", "#cloud-boothook\n#!/bin/sh\necho \"boothook on $(date)\" >> /var/log/boothook.log\n"),
    ("text/jinja2", "tpl.yaml", "## template: jinja\n#cloud-config\nruncmd:\n  - echo 'instance {{ v1.instance_id }}'\n")], boundary="===============0051734582207785963=="),
    source=MM, models="make-mime with a boothook and a jinja2 part", quirks=["boothook body starting #cloud-boothook then #!", "text/jinja2 part"], boots=True)
add("archive-doc-example.txt", """#cloud-config-archive
- type: "text/cloud-boothook"
  content: |
    #!/bin/sh
    echo "this is from a boothook." > /var/tmp/boothook.txt
- type: "text/cloud-config"
  content: |
    bootcmd:
     - echo "this is from a cloud-config." > /var/tmp/bootcmd.txt
""", source=src(CI, "doc/examples/cloud-config-archive.txt", "a1c6687be65ffa7bc89bf3ef8a4f3fdd20cf9bbf"),
    models="cloud-init's #cloud-config-archive example", quirks=["typed entries", "cloud-config entry without a #cloud-config line", "quoted type strings"], boots=True)
add("archive-launch-index.txt", """#cloud-config-archive

# entries run only on the instance whose ami-launch-index matches
- type: foo/wark
  filename: bar
  content: |
    This is my payload
    hello
- type: text/cloud-config
  launch-index: 1
  content: |
    #cloud-config
    hostname: second-instance
- |
  #cloud-config
  launch-index: 2
  hostname: third-instance
- |
  #!/bin/sh
  echo bare string entry typed by its first line
""", source=src(CI, "doc/examples/cloud-config-archive-launch-index.txt", "3a35daa68ca7e6214be3f9c1e33a1cdde5f60eb4"),
    models="cloud-init's archive with launch-index entries", quirks=["unknown type foo/wark with filename", "launch-index key on an entry", "launch-index inside a bare cloud-config entry", "bare string entries"], boots=True)
add("archive-mime-part.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="arch"

--arch
Content-Type: text/cloud-config-archive
Content-Disposition: attachment; filename="bundle.yaml"

- filename: 10-first.sh
  type: text/x-shellscript
  content: |
    #!/bin/sh
    echo first
- filename: settings.yaml
  content: |
    #cloud-config
    timezone: Europe/Berlin
  X-Merge-Type: list(append)+dict(recurse_array)+str()
--arch
Content-Type: text/x-shellscript
Content-Disposition: attachment; filename="20-second.sh"

#!/bin/sh
echo second
--arch--
""", source=src(CI, "cloudinit/user_data.py", "6a07f27ada74bfbd1b8b220332966045960fa318"), models="a text/cloud-config-archive MIME part (UserDataProcessor._explode_archive)",
    quirks=["archive entry with an extra header key (X-Merge-Type) that becomes a MIME header", "archive entry without type, typed from its first line"], boots=True)
import yaml
HOOK_UNIT = """[Unit]
Description=Register the app server at boot and deregister it at shutdown
Wants=network-online.target
After=network-online.target network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/app-register
ExecStop=/usr/local/sbin/app-deregister
TimeoutStartSec=60
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
"""
def indent(n, text):
    return "".join((" " * n + l) if l.strip() else l for l in text.splitlines(True))
add("archive-terraform-indent-indicator.txt", "#cloud-config-archive\n- type: text/cloud-config\n  content: |1\n" + indent(3, """#cloud-config
write_files:
  - path: /etc/systemd/system/app-deregister.service
    permissions: '0644'
    content: |
""" + indent(6, HOOK_UNIT) + """runcmd:
  - [systemctl, daemon-reload]
  - [systemctl, enable, --now, --no-block, app-deregister.service]
"""), source=src("Anko59/GeoguessMe", "infra/terraform/tests/config.tftest.hcl", "f5628c7e86cd5f4b05b5d86adca5f5ddd3160784"),
    models="a Terraform-built single-entry archive: the whole cloud-config re-indented by indent(3, ...) under content: |1",
    quirks=["block scalar with an explicit indentation indicator (|1) and three-space content", "one text/cloud-config entry holding write_files with a systemd stop hook"], boots=True)
add("archive-safe-dump-entries.txt", "#cloud-config-archive\n" + yaml.safe_dump([
    {"content": "#cloud-config\n" + yaml.safe_dump({"apt_update": True, "packages": ["bzr", "python3-yaml"], "runcmd": [["touch", "/var/tmp/setup-done"]]})},
    {"content": "#cloud-boothook\n#!/bin/sh\necho 'vm booting' > /dev/console\n"},
]), source=src("uci-vms (Ubuntu Continuous Integration virtual machine tools, Canonical 2014; hosted off GitHub, no repository name in the search index)", "ucivms setup module, class CIUserData, method dump (code corpus id 5966204381)", "not in the search index"),
    models="an archive written by yaml.safe_dump of a list of {content: ...} dicts, a VM builder's user data",
    quirks=["entries without type, typed by their first lines (#cloud-config, #cloud-boothook)", "multi-line content as PyYAML's quoted scalars, not blocks"], boots=True)
add("archive-cloudinit-merge-entries.txt", """#cloud-config-archive
- content: |
    #cloud-config
    password: not-a-real-password
    chpasswd: {expire: false}
- content: |
    #cloud-config
    timezone: Etc/UTC
- type: text/x-shellscript
  content: |
    #!/bin/sh
    echo entry three
- content: |
    #cloud-config
    runcmd:
      - [sh, -c, 'echo merged last']
""", source=src(CI, "tests/unittests/test_data.py", "fe4a43ec3bd738ed682191270bd53a467ba84faa"),
    models="cloud-init's own test of an archive of several cloud-config entries (test_cloud_config_archive), merged in order",
    quirks=["several cloud-config entries merged into one config in order", "a script entry between them, named part-NNN by its position"], boots=True)
add("include-doc-example.txt", """#include
# entries are one url per line. comment lines beginning with '#' are allowed
# urls are passed to urllib.urlopen, so the format must be supported there
https://config.example.test/userdata/first.txt
https://config.example.test/userdata/second.txt
""", source=src(CI, "doc/examples/include.txt", "a1c6687be65ffa7bc89bf3ef8a4f3fdd20cf9bbf"),
    models="cloud-init's #include example", quirks=["comment lines inside the include list"], boots=True,
    note="works when the URLs answer; udkit lists them and never fetches")
add("include-once-doc-example.txt", """#include-once
# these urls will be read once and cached under the instance directory
https://config.example.test/userdata/once.txt
""", source=src(CI, "doc/examples/include-once.txt", "a1c6687be65ffa7bc89bf3ef8a4f3fdd20cf9bbf"),
    models="cloud-init's #include-once example", quirks=["#include-once header"], boots=True)
add("include-url-mime-part.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inc"

--inc
Content-Type: text/x-include-url

https://config.example.test/site/base.yaml
#include-once
https://config.example.test/site/secrets-once.yaml
--inc
Content-Type: text/cloud-config

#cloud-config
hostname: included-node
--inc--
""", source=src(CI, "cloudinit/user_data.py", "6a07f27ada74bfbd1b8b220332966045960fa318"), models="text/x-include-url MIME part next to a cloud-config part (UserDataProcessor._do_include)",
    quirks=["#include-once switch in the middle of an include list"], boots=True)
add("boothook-doc-example.txt", """#cloud-boothook
#!/bin/sh
echo "Hello World!"
echo "This will run as soon as possible in the boot sequence"
""", source=src(CI, "doc/examples/boothook.txt", "aa8e8e5d53dab508a7dc12c5281e80dec7c4e771"), models="cloud-init's boothook example", quirks=["#cloud-boothook then #!"], boots=True)
add("part-handler-doc-example.txt", """#part-handler
# vi: syntax=python ts=4

def list_types():
    # return a list of mime-types that are handled by this module
    return(["text/plain", "text/go-cubs-go"])

def handle_part(data,ctype,filename,payload):
    # data: the cloudinit object
    # ctype: '__begin__', '__end__', or the specific mime-type of the part
    if ctype == "__begin__":
       print("my handler is beginning")
       return
    if ctype == "__end__":
       print("my handler is ending")
       return
    print("==== received ctype=%s filename=%s ====" % (ctype,filename))
""", source=src(CI, "doc/examples/part-handler.txt", "a77cfdff6317c114bdda1e8199bbb89b26c62aeb"), models="cloud-init's part handler example", quirks=["#part-handler first line", "tab-free python"], boots=True)
add("user-script-doc-example.txt", """#!/bin/sh

cat <<EOF
============================
My name is ${0}
I was input via user data
============================
EOF
""", source=src(CI, "doc/examples/user-script.txt", "f2843c16c338a028ae5cd5e94d30dfa4567a1d42"), models="cloud-init's user script example", quirks=["heredoc"], boots=True)
add("jsonp-patch.txt", """#cloud-config-jsonp
[
  { "op": "add", "path": "/runcmd/-", "value": ["echo", "added by a json patch"] }
]
""", source=src(CI, "cloudinit/handlers/cloud_config.py", "f07df1d8d7199a1a80af97923a4a5a0579ec2054"), models="#cloud-config-jsonp patch document", quirks=["JSON patch list"], boots=True,
    note="a patch on nothing when alone: cloud-init applies it to an empty config, where /runcmd does not exist, and logs the failure")

# ---------------------------------------------------------------- Vagrant
VAG = src("hashicorp/vagrant", "lib/vagrant/util/mime.rb", "128e392388d134170e532e956d373c58bf7084ed")
add("vagrant-cloud-init-multipart.txt", """Content-ID: <1700000000@Xq3hV8pLk2mN5rT7wY9zA1bC.local>
Content-Type: multipart/mixed; boundary=Boundary_Kp4sW8xZ2nQ6vB0mR3tY7uH1
MIME-Version: 1.0

--Boundary_Kp4sW8xZ2nQ6vB0mR3tY7uH1
Content-ID: <1700000000@Ld5fG9hJ3kL7pQ1sT5vX9zB2.local>
Content-Type: text/cloud-config

#cloud-config
package_update: true
packages:
  - htop

--Boundary_Kp4sW8xZ2nQ6vB0mR3tY7uH1
""", source=VAG, models="Vagrant's config.vm.cloud_init (Vagrant::Util::Mime::Multipart#to_s with CloudInitSetup adding MIME-Version)",
    quirks=["Content-ID headers", "MIME-Version after Content-Type", "unquoted boundary", "NO close delimiter: the document ends with an opening delimiter, so Python's parser makes an empty phantom part"],
    boots=True)
add("vagrant-cloud-init-two-parts.txt", """Content-ID: <1700000001@Ab1cD2eF3gH4iJ5kL6mN7oP8.local>
Content-Type: multipart/mixed; boundary=Boundary_Zx9cV8bN7mQ6wE5rT4yU3iO2
MIME-Version: 1.0

--Boundary_Zx9cV8bN7mQ6wE5rT4yU3iO2
Content-ID: <1700000001@Qw1eR2tY3uI4oP5aS6dF7gH8.local>
Content-Type: text/x-shellscript
Content-Disposition: attachment; filename="provision.sh"

#!/bin/bash
echo provisioned by vagrant cloud_init > /var/log/vagrant-ci.log

--Boundary_Zx9cV8bN7mQ6wE5rT4yU3iO2
Content-ID: <1700000001@Jk1lZ2xC3vB4nM5qW6eR7tY8.local>
Content-Type: text/cloud-config
Content-Disposition: attachment; filename="user.yaml"

#cloud-config
timezone: UTC

--Boundary_Zx9cV8bN7mQ6wE5rT4yU3iO2
""", source=VAG, models="Vagrant cloud_init with a shell part and a cloud-config part, both with content_disposition_filename",
    quirks=["no close delimiter (phantom empty part)", "Content-ID per part"], boots=True)

# ---------------------------------------------------------------- Azure / GCP-ish single documents
add("azure-custom-data-base64.txt", b64(b"#cloud-config\npackage_upgrade: true\npackages:\n  - nginx\nruncmd:\n  - systemctl restart nginx\n", 76),
    source=src("Azure/azure-quickstart-templates", "quickstarts/microsoft.compute/vm-simple-linux/azuredeploy.json", "not in the search index; modelled from its documentation"),
    models="Azure customData: base64 of a cloud-config (the Azure datasource decodes it; most others do not)",
    quirks=["base64 wrapped at 76 columns, trailing newline"], boots=True)
add("slurm-compute-cloud-config.txt", """#cloud-config
mounts:
  - [ "fs-0123.efs.example.test:/", /home, nfs4, "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,_netdev", "0", "0" ]
write_files:
  - path: /etc/slurm/slurm.conf
    owner: root:root
    permissions: '0644'
    content: |
      ClusterName=demo
      SlurmctldHost=head-node
      NodeName=compute-[1-4] CPUs=8 State=CLOUD
      PartitionName=batch Nodes=compute-[1-4] Default=YES
runcmd:
  - [ systemctl, enable, --now, --no-block, slurmd ]
""", source=src("aws-samples/aws-plugin-for-slurm", "README.md", "b82e9e2036ae18650b63e9dd97295e4403549d1e"), models="Slurm cloud compute node configured by cloud-config (NFS home, slurm.conf, slurmd)",
    quirks=["mounts entry with quoted options", "enable --now --no-block"], boots=True)
add("gitlab-runner-docker-machine.txt", """#!/bin/bash
set -euo pipefail
# docker-machine style: runner host prepared before the runner registers
curl -fsSL https://get.docker.com | sh
usermod -aG docker ubuntu
""", source=src("cattle-ops/terraform-aws-gitlab-runner", "template/user-data.tftpl", "806f5cf485f387d34e3244642ac5fb7e15146f0d"), models="GitLab runner host script", quirks=["set -euo pipefail"], boots=True)
add("empty-user-data.txt", b"", source=src(CI, "cloudinit/user_data.py", "6a07f27ada74bfbd1b8b220332966045960fa318"),
    models="empty user data (a launch template with UserData set to the empty string)", quirks=["zero bytes"], boots=True,
    note="a deliberate no-op: cloud-init runs with vendor and system config only")
add("write-mime-multipart-paths.txt", pyemail([
    ("text/cloud-config", "conf/base.yaml", "#cloud-config\nruncmd:\n  - echo base\n"),
    ("text/x-shellscript", "scripts/10-setup.sh", "#!/bin/sh\necho setup\n")], boundary="===============3366718040133377208=="),
    source=src("wannabeCitizen/Congress_DCSC", "cloud-init/run_cloud_init_nova.sh", "99c5148da2ebf6c5b927d0453ef76a23ecc14f74"),
    models="write-mime-multipart run on files in subdirectories, so the filenames keep their directories",
    quirks=["filenames with '/' (cloud-init's clean_filename turns them into _ when it writes scripts)"], boots=True)

# ================================================================ documents that do not work
add("bom-cloud-config.txt", "\ufeff#cloud-config\npackages:\n  - nginx\nruncmd:\n  - systemctl enable --now nginx\n",
    source=src(CI, "doc/examples/cloud-config-run-cmds.txt", "86e2614b6c3db342aa5a6590e91b9e459bbcb484"),
    models="a cloud-config saved by an editor that writes a UTF-8 byte order mark (Windows Notepad)",
    quirks=["EF BB BF before #cloud-config"], boots=False, errors=["bom"],
    why="cloud-init types the document by its first bytes; with the BOM first it is text/x-not-multipart and the whole config is ignored")
big = "".join("  # %03d padding line kept by the generator's license header template ................\n" % i for i in range(60))
add("late-mime-version.txt", """Content-Type: multipart/mixed; boundary="late"
X-Generator-Notes: the generator writes its notes here
""" + "X-Notes-Detail: " + "x" * 4200 + """
MIME-Version: 1.0

--late
Content-Type: text/x-shellscript

#!/bin/sh
echo never runs
--late--
""", source=src("quortex/terraform-aws-eks-cluster", "userdata-warm.sh.tpl", "9da1b84739b359bc7b23a03855ad8ccc7f2c5214"),
    models="a MIME template whose generator put a long header before MIME-Version", quirks=["MIME-Version after byte 4096"],
    boots=False, errors=["mime-version-late"],
    why="cloud-init looks for MIME-Version only in the first 4096 bytes; the document is then one unknown text/x-not-multipart part and nothing runs")
add("multipart-no-boundary.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed

--MYBOUNDARY
Content-Type: text/x-shellscript

#!/bin/bash
/etc/eks/bootstrap.sh demo
--MYBOUNDARY--
""", source=src("marcincuber/eks", "terraform/userdata.tpl", "5aa1c82420cb2a72d7bf7b7a5eb641e3f8a147ce"),
    models="EKS template where the boundary parameter was lost in templating", quirks=["multipart/mixed without boundary="],
    boots=False, errors=["multipart-no-boundary"], why="without a boundary Python's parser cannot split the parts: cloud-init finds zero parts and runs nothing")
add("duplicate-content-type.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: text/plain; charset="us-ascii"
Content-Type: text/cloud-config; charset="us-ascii"

runcmd:
  - echo configured
--//--
""", source=KARP_SRC, models="a custom part whose headers were merged twice by a templating step (generator Content-Type plus the user's)",
    quirks=["two different Content-Type headers in one part"], boots=False, errors=["duplicate-content-type", "ignored-part"],
    why="cloud-init reads the first Content-Type (the generator default text/plain); the body has no header line to re-type it from, so no handler takes the part and the config the second header promised is ignored")
add("clean-filename-collision.txt", pyemail([
    ("text/x-shellscript", "base/setup.sh", "#!/bin/sh\necho base setup\n"),
    ("text/x-shellscript", "base_setup.sh", "#!/bin/sh\necho second setup\n")], boundary="===============5508176233710092286=="),
    source=src("wannabeCitizen/Congress_DCSC", "cloud-init/run_cloud_init_nova.sh", "99c5148da2ebf6c5b927d0453ef76a23ecc14f74"),
    models="write-mime-multipart over two files whose names only differ by / and _", quirks=["filenames base/setup.sh and base_setup.sh"],
    boots=False, errors=["filename-collision"], why="cloud-init writes scripts under clean_filename(name): both become base_setup.sh, the second overwrites the first, and only one runs")
add("epilogue-part.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==MYBOUNDARY=="

--==MYBOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
/etc/eks/bootstrap.sh demo
--==MYBOUNDARY==--

#!/bin/bash
# appended by a second template after the close delimiter
echo "tuning sysctls" > /var/log/tuning.log
""", source=src("marcincuber/eks", "terraform/userdata.tpl", "5aa1c82420cb2a72d7bf7b7a5eb641e3f8a147ce"), models="two templates concatenated: a script appended after the MIME close delimiter",
    quirks=["non-empty epilogue"], boots=False, errors=["epilogue"], why="Python's parser drops everything after the close delimiter: the appended script never runs")
add("shell-part-no-shebang.txt", tf([
    {"type": "text/x-shellscript", "filename": "setup.sh", "content": "set -e\nyum install -y jq\necho done > /var/log/setup.log"}]),
    source=TFP, models="cloudinit_config part typed text/x-shellscript whose content has no #! line (the provider's tests use such content)",
    quirks=["text/x-shellscript without #!"], boots=False, errors=["shell-no-shebang"],
    why="cloud-init writes the part to scripts/ and execs it; without #! exec fails with 'Exec format error' and the script never runs")
add("plain-part-yaml.txt", """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

bootcmd:
  - echo this looks like cloud-config
--b--
""", source=TFP, models="a part left as text/plain (no content type given) whose YAML lacks the #cloud-config line",
    quirks=["text/plain part, YAML body"], boots=False, errors=["ignored-part"],
    why="a text/plain part is re-typed only from its first line; bootcmd: is no known header, so no handler takes the part and the config is ignored")
add("yaml-no-header.txt", """packages:
  - nginx
runcmd:
  - systemctl enable --now nginx
""", source=src(CI, "doc/examples/cloud-config-install-packages.txt", "00a00ff86f6de535a31d69060e83596c34129ce4"),
    models="a cloud-config whose #cloud-config line was dropped", quirks=["no header line"], boots=False, errors=["ignored-part"],
    why="without #cloud-config the document is text/x-not-multipart and cloud-init ignores it")
add("cloud-config-tab-indent.txt", "#cloud-config\nruncmd:\n\t- echo tab\n",
    source=src(CI, "doc/examples/cloud-config-run-cmds.txt", "86e2614b6c3db342aa5a6590e91b9e459bbcb484"),
    models="a cloud-config indented with a tab", quirks=["tab indentation"], boots=False, errors=["cloud-config-parse"],
    why="YAML forbids tabs in indentation; cloud-init fails to load the config and applies none of it")
add("cloud-config-duplicate-key.txt", "#cloud-config\nruncmd:\n  - echo first\npackages:\n  - jq\nruncmd:\n  - echo second\n",
    source=src(CI, "doc/examples/cloud-config-run-cmds.txt", "86e2614b6c3db342aa5a6590e91b9e459bbcb484"),
    models="two runcmd keys in one document (a template concatenating two snippets)", quirks=["duplicate top-level key"], boots=False, errors=["cloud-config-parse"],
    why="PyYAML keeps only the last runcmd: echo first never runs")
add("oversize-cloud-config.txt", "#cloud-config\nwrite_files:\n  - path: /etc/big.conf\n    content: |\n" + "".join("      line %05d of a large config file that should be fetched at boot instead\n" % i for i in range(260)),
    source=src("aws/aws-parallelcluster", "cli/src/pcluster/resources/head_node/user_data.sh", "706ccba34921d9cc4ba3e9984da848dff3dc1dd0"),
    models="user data that grew past EC2's 16384-byte limit (ParallelCluster keeps comments out of its template for this reason)",
    quirks=["over 16384 bytes"], boots=True, note="boots where the cloud takes it (OpenStack); EC2 refuses to launch with it: udkit warns")

add("cloud-config-latin1-part.txt", ('Content-Type: multipart/mixed; boundary="===============8890246178305413220=="\nMIME-Version: 1.0\n\n'
    '--===============8890246178305413220==\nContent-Type: text/cloud-config; charset="iso-8859-1"\nMIME-Version: 1.0\n'
    'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="motd.yaml"\n\n' +
    b64("#cloud-config\nfinal_message: \"Bienvenue sur le n\u0153ud de calcul - d\u00e9marr\u00e9\"\n".encode("cp1252"), 76).decode() +
    '--===============8890246178305413220==--\n'),
    source=MM, models="a MIME part built (as Python's email does for a non-ASCII file) from a cloud-config saved in Windows-1252",
    quirks=["charset=iso-8859-1 declared, base64 body of cp1252 bytes"], boots=False, errors=["cloud-config-not-utf8", "cloud-config-parse"],
    why="cloud-init decodes every part as UTF-8 whatever the charset says; PyYAML refuses the undecodable bytes and none of the config is applied")

os.makedirs(OUT, exist_ok=True)
man = []
for name, data, meta in docs:
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    m = {"file": name}
    m.update(meta)
    man.append(m)
print(len(docs), "documents")
import yaml
hdr = """# MANIFEST of udkit's real-world user-data corpus (testdata/realworld).
#
# Every document here was written for udkit: it models the structure of a
# public source (repo, path, commit below) and keeps every quirk that matters
# to a parser or linter (listed under quirks), with its own content. None is
# a copy of its source. generate.py (in this directory) writes every document
# and this manifest.
#
# Fields:
#   file     the document in this directory
#   source   the public source it models: repo, path, commit (the commit the
#            search index held; "not in the search index" where it had none)
#   models   what the source is / which generator output this is
#   quirks   what the document keeps from the source
#   boots    true when a real boot does what the document says (on the
#            platform it is meant for); false when it does not. Judged from
#            cloud-init 22.4's code (user_data.py, the part handlers) and its
#            own parser run on the document, not from booting each document.
#   errors   (boots: false) the udkit lint rule ids that must be reported at
#            severity error, in any order; a working document must get none
#   why      (boots: false) why a boot fails
#   note     anything else worth knowing
#
# Checked by cmd/udkit's TestRealWorldCorpus: inspect agrees with cloud-init's
# own parser part for part, lint exits 0 on every boots: true document and
# reports exactly the errors listed on the others.
"""
with open(os.path.join(OUT, "MANIFEST.yaml"), "w") as f:
    f.write(hdr)
    f.write(yaml.safe_dump(man, sort_keys=False, allow_unicode=True, width=100))
