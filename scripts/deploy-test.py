#!/usr/bin/env python3
"""make deploy-test: deploys deploy/cloudformation/*.yaml, in order, to moto's server, checks that
the resources the original design had exist with the intended settings, then runs the event path
end to end: an object put under uploads/ in the deployed bucket reaches the deployed work queue (a
thumbnails/ object does not), and `annotate process --queue` — against moto's S3, SQS and Secrets
Manager and a real MariaDB — completes the record.

Where moto ignores a property, the test makes the equivalent API call and says so. Needs the test
services (scripts/test-services.sh start: moto on ANNOTATE_TEST_MOTO_ENDPOINT, MariaDB on
ANNOTATE_TEST_MYSQL_URL) and boto3 (moto's own dependency).

usage: deploy-test.py ANNOTATE_BINARY
"""
import glob
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = sorted(glob.glob(os.path.join(ROOT, "deploy", "cloudformation", "*.yaml")))
ENDPOINT = os.environ.get("ANNOTATE_TEST_MOTO_ENDPOINT", "http://127.0.0.1:5005")
REGION = "us-east-1"
PHOTO = os.path.join(ROOT, "demo", "fig-bowl.jpg")


def fail(message):
    print("deploy-test: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("deploy-test: ok: " + message)


def client(service):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def deploy(cloudformation, project, path, parameters):
    name = "%s-%s" % (project, os.path.basename(path).split(".")[0])
    with open(path) as f:
        body = f.read()
    print("deploy-test: creating %s" % name, flush=True)
    cloudformation.create_stack(
        StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    for _ in range(100):
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.1)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        fail("%s: %s %s" % (name, stack["StackStatus"], stack.get("StackStatusReason", "")))
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    print("deploy-test: %s CREATE_COMPLETE (%d outputs)" % (name, len(outputs)))
    return outputs


def main():
    if len(sys.argv) != 2:
        fail("usage: deploy-test.py ANNOTATE_BINARY")
    binary = os.path.abspath(sys.argv[1])
    database_url = os.environ.get("ANNOTATE_TEST_MYSQL_URL")
    if not database_url:
        fail("ANNOTATE_TEST_MYSQL_URL is not set: run scripts/test-services.sh start and eval its env")
    db = urllib.parse.urlparse(database_url)
    project = "annotate-t" + uuid.uuid4().hex[:8]
    cloudformation = client("cloudformation")
    # moto has no RDS-managed secrets (nor AWS::SecretsManager::Secret in templates): the secret
    # of the same shape is made by API and given to 04-database.yaml with ManagePassword=false.
    secret = client("secretsmanager").create_secret(
        Name=project + "-db", SecretString=json.dumps({"username": db.username, "password": db.password}))["ARN"]

    # The stacks, in the order their file names sort: each imports what the ones before export.
    parameters = {
        "01-ecr.yaml": {"Project": project},
        "02-network.yaml": {"Project": project},
        "03-storage.yaml": {"Project": project},
        "04-database.yaml": {"Project": project, "ManagePassword": "false", "DatabaseSecretArn": secret},
        "05-events.yaml": {"Project": project, "ImageTag": "test"},
        "06-web.yaml": {"Project": project, "ImageTag": "test", "MinSize": "2", "MaxSize": "4"},
    }
    outputs = {}
    for path in TEMPLATES:
        outputs.update(deploy(cloudformation, project, path, parameters[os.path.basename(path)]))
    exports = {e["Name"]: e["Value"] for e in cloudformation.list_exports()["Exports"] if e["Name"].startswith(project + "-")}

    # What the original design had, with the intended settings.
    s3, sqs, events, lam = client("s3"), client("sqs"), client("events"), client("lambda")
    originals, thumbnails = exports[project + "-OriginalsBucket"], exports[project + "-ThumbnailsBucket"]
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    check(originals in buckets and thumbnails in buckets, "the originals and thumbnails buckets exist")
    rule = events.describe_rule(Name=outputs["RuleName"])
    pattern = json.loads(rule["EventPattern"])
    check(pattern["detail-type"] == ["Object Created"] and pattern["detail"]["object"]["key"] == [{"prefix": "uploads/"}]
          and pattern["detail"]["bucket"]["name"] == [originals], "the rule takes Object Created under uploads/ in the originals bucket")
    targets = [t["Arn"] for t in events.list_targets_by_rule(Rule=outputs["RuleName"])["Targets"]]
    queue_url = exports[project + "-WorkQueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    check(attributes["QueueArn"] in targets and int(redrive["maxReceiveCount"]) == 5
          and redrive["deadLetterTargetArn"].endswith(":" + exports[project + "-DeadLetterQueueUrl"].rsplit("/", 1)[1]),
          "the rule feeds the work queue, whose redrive policy ends in the dead-letter queue after 5 receives")
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(project)}
    sizes = sorted((f["MemorySize"], f["Timeout"]) for f in functions.values())
    check(sizes == [(256, 30), (512, 60)], "two functions: annotation 512 MB / 60 s, thumbnail 256 MB / 30 s (%s)" % sizes)
    mappings = [m for m in lam.list_event_source_mappings()["EventSourceMappings"] if m["FunctionArn"].split(":")[-1] in functions]
    check(len(mappings) == 2, "each function has an SQS event source mapping")
    elb, autoscaling = client("elbv2"), client("autoscaling")
    groups = [g for g in elb.describe_target_groups()["TargetGroups"] if g["TargetGroupArn"] == outputs["TargetGroupArn"]]
    check(groups and groups[0]["HealthCheckPath"] == "/health" and groups[0]["Port"] == 8080, "the target group checks /health on 8080")
    delay = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=outputs["TargetGroupArn"])["Attributes"]}
    if delay.get("deregistration_delay.timeout_seconds") != "20":
        # moto keeps its default (300) rather than the template's TargetGroupAttributes: the same setting, by API.
        print("deploy-test: moto ignores TargetGroupAttributes in templates (it reports %s); setting the deregistration delay by API"
              % delay.get("deregistration_delay.timeout_seconds"))
        elb.modify_target_group_attributes(TargetGroupArn=outputs["TargetGroupArn"],
                                           Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}])
        delay = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=outputs["TargetGroupArn"])["Attributes"]}
    with open(os.path.join(ROOT, "deploy", "cloudformation", "06-web.yaml")) as f:
        web = f.read()
    check(delay.get("deregistration_delay.timeout_seconds") == "20" and "deregistration_delay.timeout_seconds, Value: !Ref DrainSeconds" in web
          and "--drain-delay ${DrainSeconds}s" in web, "the deregistration delay is serve's --drain-delay (DrainSeconds, 20 s)")
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[outputs["AutoScalingGroup"]])["AutoScalingGroups"][0]
    check((group["MinSize"], group["MaxSize"], group["HealthCheckType"]) == (2, 4, "ELB"), "the web group: min 2, max 4, ELB health checks")
    check(exports[project + "-DatabaseSecretArn"] == secret,
          "the database credentials are in a secret the stacks pass on by ARN (DB_SECRET_ARN), never as a value")

    # moto ignores the bucket's NotificationConfiguration (EventBridgeEnabled): the same setting, by API.
    print("deploy-test: moto ignores NotificationConfiguration in templates; enabling EventBridge on the bucket by API instead")
    s3.put_bucket_notification_configuration(Bucket=originals, NotificationConfiguration={"EventBridgeConfiguration": {}})

    # The event path: an upload reaches the queue, a thumbnail does not.
    with open(PHOTO, "rb") as f:
        s3.put_object(Bucket=originals, Key="uploads/fig bowl.jpg", Body=f.read(), ContentType="image/jpeg")
    s3.put_object(Bucket=originals, Key="thumbnails/fig bowl.jpg", Body=b"not an upload", ContentType="image/jpeg")
    seen = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2, VisibilityTimeout=0).get("Messages", [])
    keys = [json.loads(m["Body"])["detail"]["object"]["key"] for m in seen]
    check(keys == ["uploads/fig bowl.jpg"], "the work queue received the upload and not the thumbnail (%s)" % keys)

    # A worker as the web tier's unit runs it, with the stack's settings; the database is the real
    # MariaDB (moto's RDS endpoint does not answer), its credentials read from the stack's secret.
    name = "annotate_deploy_" + uuid.uuid4().hex[:8]
    subprocess.run(["mariadb", "--no-defaults", "-h", db.hostname, "-P", str(db.port), "-u", db.username, "-p" + db.password,
                    "-e", "CREATE DATABASE %s" % name], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNOTATE_", "DB_", "GEMINI_", "AWS_"))}
    env.update({
        "ANNOTATE_HOME": "/tmp/" + name, "ANNOTATE_ANNOTATOR": "metadata", "ANNOTATE_STORE": "s3://" + originals,
        "THUMBNAIL_BUCKET_NAME": thumbnails, "DB_HOST": db.hostname, "DB_PORT": str(db.port), "DB_NAME": name, "DB_SECRET_ARN": secret,
        "AWS_ENDPOINT_URL": ENDPOINT, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
    })
    run = subprocess.run([binary, "process", "--json", "--queue", queue_url, "--queue-wait", "2s"], env=env, capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    tasks = [line for line in lines if "task" in line]
    check(run.returncode == 0 and len(tasks) == 2 and all(t["status"] == "completed" for t in tasks),
          "annotate process --queue completed both tasks (exit %d)%s" % (run.returncode, "" if run.returncode == 0 else ": " + run.stderr))
    status = json.loads(subprocess.run([binary, "status", "--json", "1"], env=env, capture_output=True, text=True, check=True).stdout.splitlines()[0])
    check(status["s3_key_original"] == "uploads/fig bowl.jpg" and status["annotation_status"] == "completed"
          and status["thumbnail_status"] == "completed", "the record is complete in MariaDB")
    stored = [o["Key"] for o in s3.list_objects_v2(Bucket=thumbnails).get("Contents", [])]
    check(stored == ["thumbnails/fig bowl.jpg"], "the thumbnail is in the deployed thumbnails bucket")
    check(int(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"]) == 0,
          "the work queue is empty")
    print("deploy-test: PASS")


if __name__ == "__main__":
    main()
