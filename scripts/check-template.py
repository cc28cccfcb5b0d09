#!/usr/bin/env python3
"""Checks lambda-blueprint/template.yaml as CloudFormation would run it.

The template goes through the SAM transform (aws-sam-translator, as CloudFormation's
AWS::Serverless-2016-10-31 does), and the result is created as stacks in moto's CloudFormation
(moto_server from .venv, on a free loopback port, started and stopped here), once per key source
and with each kind of destination. For every stack it asserts the function's role (each policy's
exact actions, resources and conditions), its environment, the event source mappings (bisect,
maximum record age, on-failure queue), the SQS redrive queue, the idempotency table and the log
group's retention. What moto accepts but does not apply (listed in IGNORED_BY_MOTO) is asserted on
the transformed template instead. Any failed assertion exits non-zero.

Usage: .venv/bin/python scripts/check-template.py [path/to/template.yaml]
"""

import ast
import io
import json
import os
import subprocess
import sys
import threading
import time
import zipfile

import boto3
import yaml
from samtranslator.translator.transform import transform

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
CODE_BUCKET, CODE_KEY = "sam-artifacts", "lambda-blueprint/bootstrap.zip"

# Properties that moto's CloudFormation accepts without applying them; checked on the transformed
# template. (Every resource type of the template is one moto creates; see the created-types check.)
IGNORED_BY_MOTO = {
    "AWS::S3::Bucket": ["NotificationConfiguration"],
    "AWS::DynamoDB::Table": ["TimeToLiveSpecification"],
    "AWS::Lambda::Function": ["LoggingConfig"],
    "the template": ["Rules"],
}


def fail(message):
    print(f"check-template: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


# --- The template, as `sam package` and then CloudFormation's SAM transform would make it ---


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !GetAtt, !If, ...) turned into their long forms."""


def _short_form(loader, tag, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag in ("Ref", "Condition"):
        return {tag: value}
    if tag == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag}": value}


CfnLoader.add_multi_constructor("!", _short_form)


def transformed(path):
    with open(path, encoding="utf-8") as f:
        template = yaml.load(f, Loader=CfnLoader)
    function = template["Resources"]["Forwarder"]
    check(function["Properties"]["CodeUri"] == ".", "the function's CodeUri is no longer the crate")
    # `sam package` uploads what `sam build` made and puts its S3 location here.
    function["Properties"]["CodeUri"] = f"s3://{CODE_BUCKET}/{CODE_KEY}"

    class NoManagedPolicies:  # the template names no managed policy: nothing to look up in IAM
        def load(self):
            return {}

    return transform(template, {}, NoManagedPolicies())


# --- moto ---


def serve_moto(argv):
    """Run moto_server in this process, with one fix: CloudFormation drops `AWS::NoValue` from a
    list (the template's conditional policies and S3 filter rules rely on it), moto keeps a null."""
    from moto.cloudformation import parsing
    from moto.server import main as moto_server

    original = parsing.clean_json

    def clean_json(value, resources_map):
        if isinstance(value, list):
            cleaned = (clean_json(item, resources_map) for item in value)
            return [item for item in cleaned if item is not None]
        return original(value, resources_map)

    parsing.clean_json = clean_json  # clean_json recurses through the module's name
    moto_server(argv)


class Moto:
    """moto_server on a free loopback port (it picks the port and prints it), stopped by stop()."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--moto-server", "-H", "127.0.0.1", "-p", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = []
        self.url = None
        deadline = time.monotonic() + 60
        for line in self.process.stderr:
            self.log.append(line)
            if "http://127.0.0.1:" in line:
                self.url = line[line.index("http://127.0.0.1:") :].split()[0]
                break
            if time.monotonic() > deadline:
                break
        if self.url is None:
            self.stop()
            fail("moto_server did not print its address:\n" + "".join(self.log))
        # Keep reading its log so it never blocks on a full pipe.
        threading.Thread(target=lambda: self.log.extend(self.process.stderr), daemon=True).start()

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def code_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n# stands in for the built bootstrap: nothing runs it here\n")
    return buffer.getvalue()


# --- What each stack must hold ---


def statements(document):
    """A policy's statements as comparable tuples: (actions, resources, condition)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            # moto keeps a policy that came from CloudFormation as the repr of a Python dict.
            document = ast.literal_eval(document)
    out = set()
    for s in document["Statement"]:
        check(s["Effect"] == "Allow", f"a statement that is not Allow: {s}")
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        condition = json.dumps(s.get("Condition"), sort_keys=True)
        out.add((tuple(sorted(actions)), tuple(sorted(resources)), condition))
    return out


def allow(actions, resource, condition=None):
    actions = actions if isinstance(actions, list) else [actions]
    return (tuple(sorted(actions)), (resource,), json.dumps(condition, sort_keys=True))


DESTINATION_ACTIONS = {
    "sqs": ["sqs:GetQueueUrl", "sqs:SendMessage"],
    "sns": ["sns:Publish"],
    "events": ["events:PutEvents"],
    "kinesis": ["kinesis:PutRecords"],
    "dynamodb": ["dynamodb:BatchWriteItem", "dynamodb:PutItem"],
}


def destination_statement(arn):
    service = arn.split(":")[2]
    if service == "s3":
        bucket_and_prefix = arn.split(":::", 1)[1]
        return allow("s3:PutObject", arn + "*" if "/" in bucket_and_prefix else arn + "/*")
    return allow(DESTINATION_ACTIONS[service], arn)


def arn(service, resource):
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


SCENARIOS = [
    {
        "name": "kms-s3-sqs",
        "parameters": {
            "KeySource": "kms",
            "ApiKeyKmsKeyArn": arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            "EncryptedApiKey": "AQICAHhciphertext==",
            "ResultDestination": "arn:aws:s3:::results-bucket/results/",
            "FailureDestination": arn("sqs", "poison"),
            "UploadBucketName": "blueprint-uploads-check",
            "UploadSuffix": ".jpg",
            "LogRetentionInDays": "14",
            "MaximumRecordAgeInSeconds": "600",
            "QueueMaxReceiveCount": "3",
        },
    },
    {
        "name": "ssm-path-sns-events",
        "parameters": {
            "KeySource": "ssm",
            "ApiKeySsmParameter": "/prod/algorithmia/api-key",
            "ApiKeyStoreKmsKeyArn": arn("kms", "key/feedface-0000-1111-2222-333344445555"),
            "ResultDestination": arn("sns", "results"),
            "FailureDestination": arn("events", "event-bus/failures"),
            "CreateIdempotencyTable": "false",
            "IdempotencyTableName": "existing-marks",
            "IdempotencyTtl": "90m",
        },
    },
    {
        "name": "ssm-name-s3-bucket",
        "parameters": {
            "KeySource": "ssm",
            "ApiKeySsmParameter": "algorithmia-api-key",
            "ResultDestination": "arn:aws:s3:::results-bucket",
        },
    },
    {
        "name": "secret-kinesis-dynamodb",
        "parameters": {
            "KeySource": "secret",
            "ApiKeySecretArn": arn("secretsmanager", "secret:algorithmia-AbCdEf"),
            "ResultDestination": arn("kinesis", "stream/results"),
            "FailureDestination": arn("dynamodb", "table/failures"),
            "CreateIdempotencyTable": "false",
        },
    },
]

KEY_VARIABLES = {
    "kms": "ALGORITHMIA_API_KEY_ENCRYPTED",
    "ssm": "ALGORITHMIA_API_KEY_SSM_PARAMETER",
    "secret": "ALGORITHMIA_API_KEY_SECRET_ARN",
}
KEY_PARAMETERS = {"kms": "EncryptedApiKey", "ssm": "ApiKeySsmParameter", "secret": "ApiKeySecretArn"}


def expected_policies(p, ids, aws):
    """The role's inline policies for parameters `p`: {name: set of statements}."""
    policies = {
        "logs-and-sources": {
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], aws["log_group_arn"]),
            allow(
                [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                    "kinesis:SubscribeToShard",
                ],
                aws["stream_arn"],
            ),
            allow(
                ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                aws["items_stream_arn"],
            ),
            allow("dynamodb:ListStreams", aws["items_arn"] + "/stream/*"),
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                aws["jobs_arn"],
            ),
            allow("sqs:SendMessage", aws["stream_failures_arn"]),
        }
    }
    source = p["KeySource"]
    if source == "kms":
        policies["api-key-kms"] = {allow("kms:Decrypt", p["ApiKeyKmsKeyArn"])}
    elif source == "ssm":
        name = p["ApiKeySsmParameter"]
        parameter_arn = arn("ssm", "parameter" + (name if name.startswith("/") else "/" + name))
        policies["api-key-ssm"] = {allow("ssm:GetParameter", parameter_arn)}
    else:
        policies["api-key-secret"] = {allow("secretsmanager:GetSecretValue", p["ApiKeySecretArn"])}
    if source != "kms" and p["ApiKeyStoreKmsKeyArn"]:
        service = "ssm" if source == "ssm" else "secretsmanager"
        via = {"StringEquals": {"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}}
        policies["api-key-store-key"] = {allow("kms:Decrypt", p["ApiKeyStoreKmsKeyArn"], via)}
    if p["ResultDestination"]:
        policies["result-destination"] = {destination_statement(p["ResultDestination"])}
    if p["FailureDestination"]:
        policies["failure-destination"] = {destination_statement(p["FailureDestination"])}
    table = ids.get("IdempotencyTable") or p["IdempotencyTableName"]
    if table:
        actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
        policies["idempotency-table"] = {allow(actions, arn("dynamodb", f"table/{table}"))}
    return policies


def expected_environment(p, ids):
    env = {
        "ALGORITHMIA_ALGORITHM": p["Algorithm"],
        "ALGORITHMIA_API": p["ApiAddress"],
        "ALGORITHMIA_CONCURRENCY": p["Concurrency"],
        "ALGORITHMIA_METRICS_NAMESPACE": p["MetricsNamespace"],
        KEY_VARIABLES[p["KeySource"]]: p[KEY_PARAMETERS[p["KeySource"]]],
    }
    if p["KeySource"] == "kms":
        env["ALGORITHMIA_KMS_ENCRYPTION_CONTEXT"] = "none"
    if p["ResultDestination"]:
        env["ALGORITHMIA_RESULT_DESTINATION"] = p["ResultDestination"]
    if p["FailureDestination"]:
        env["ALGORITHMIA_FAILURE_DESTINATION"] = p["FailureDestination"]
    table = ids.get("IdempotencyTable") or p["IdempotencyTableName"]
    if table:
        env["ALGORITHMIA_IDEMPOTENCY_TABLE"] = table
        env["ALGORITHMIA_IDEMPOTENCY_TTL"] = p["IdempotencyTtl"]
    return env


def check_stack(moto, template_body, defaults, scenario):
    name = scenario["name"]
    p = dict(defaults, **scenario["parameters"])
    cfn = moto.client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=template_body,
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v} for k, v in scenario["parameters"].items()
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    check(status == "CREATE_COMPLETE", f"{name}: stack status {status}")
    # (moto lists a resource whose condition is false as an empty summary.)
    summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    resources = [r for r in summaries if r["ResourceType"]]
    ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in resources}

    expected_resources = {
        "Events", "Items", "Jobs", "JobsRedrive", "StreamFailures", "Uploads", "ForwarderLogs",
        "ForwarderRole", "Forwarder", "ForwarderKinesisRecords", "ForwarderDynamoDBChanges",
        "ForwarderQueueMessages", "ForwarderUploadedPermission",
    }
    if p["CreateIdempotencyTable"] == "true":
        expected_resources.add("IdempotencyTable")
    check(
        set(ids) == expected_resources,
        f"{name}: resources {sorted(ids)}, expected {sorted(expected_resources)}",
    )

    sqs, lam, iam = moto.client("sqs"), moto.client("lambda"), moto.client("iam")

    def queue(logical):
        return sqs.get_queue_attributes(QueueUrl=ids[logical], AttributeNames=["All"])["Attributes"]

    jobs, redrive, stream_failures = queue("Jobs"), queue("JobsRedrive"), queue("StreamFailures")
    logs = moto.client("logs")
    log_groups = logs.describe_log_groups(logGroupNamePrefix=ids["ForwarderLogs"])["logGroups"]
    check(len(log_groups) == 1, f"{name}: log groups {log_groups}")
    log_group = log_groups[0]
    stream = moto.client("kinesis").describe_stream_summary(StreamName=ids["Events"])
    items = moto.client("dynamodb").describe_table(TableName=ids["Items"])["Table"]
    aws = {
        "log_group_arn": log_group["arn"],
        "stream_arn": stream["StreamDescriptionSummary"]["StreamARN"],
        "items_arn": items["TableArn"],
        "items_stream_arn": items["LatestStreamArn"],
        "jobs_arn": jobs["QueueArn"],
        "stream_failures_arn": stream_failures["QueueArn"],
    }

    # The role: exactly these policies, each with exactly these statements.
    role = ids["ForwarderRole"]
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    got = {
        n: statements(iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"])
        for n in names
    }
    want = expected_policies(p, ids, aws)
    check(set(got) == set(want), f"{name}: role policies {sorted(got)}, expected {sorted(want)}")
    for policy, stmts in want.items():
        check(
            got[policy] == stmts,
            f"{name}: policy {policy}:\n  got      {sorted(got[policy])}\n  expected {sorted(stmts)}",
        )
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    check(attached == [], f"{name}: managed policies attached to the role: {attached}")

    # The function: its role and environment (only the chosen key source's variable).
    function = lam.get_function_configuration(FunctionName=ids["Forwarder"])
    check(function["Role"].endswith(f":role/{role}"), f"{name}: the role is {function['Role']}")
    check(function["Runtime"] == "provided.al2023" and function["Timeout"] == 60, f"{name}: {function}")
    # (moto gives a Number parameter's value as a number; Lambda's variables are strings.)
    env = {k: str(v) for k, v in function.get("Environment", {}).get("Variables", {}).items()}
    check(env == expected_environment(p, ids), f"{name}: environment {env}")

    # Event source mappings: bisect, maximum age and the on-failure queue on both streams.
    listed = lam.list_event_source_mappings(FunctionName=ids["Forwarder"])["EventSourceMappings"]
    mappings = {m["EventSourceArn"]: m for m in listed}
    sources = {aws["stream_arn"], aws["items_stream_arn"], aws["jobs_arn"]}
    check(set(mappings) == sources, f"{name}: mappings {sorted(mappings)}")
    for source in (aws["stream_arn"], aws["items_stream_arn"]):
        m = mappings[source]
        check(m["BisectBatchOnFunctionError"] is True, f"{name}: no bisect on {source}")
        check(m["MaximumRecordAgeInSeconds"] == int(p["MaximumRecordAgeInSeconds"]), f"{name}: age {m}")
        check(m["MaximumRetryAttempts"] == 10, f"{name}: retries {m}")
        on_failure = {"OnFailure": {"Destination": aws["stream_failures_arn"]}}
        check(m["DestinationConfig"] == on_failure, f"{name}: on failure {m}")
        check(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"], f"{name}: {m}")
    jobs_mapping = mappings[aws["jobs_arn"]]
    check(jobs_mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], f"{name}: {jobs_mapping}")

    # The SQS source's redrive queue.
    policy = json.loads(jobs["RedrivePolicy"])
    check(policy["deadLetterTargetArn"] == redrive["QueueArn"], f"{name}: redrive {policy}")
    check(int(policy["maxReceiveCount"]) == int(p["QueueMaxReceiveCount"]), f"{name}: redrive {policy}")
    check(int(jobs["VisibilityTimeout"]) >= 6 * 60, f"{name}: visibility {jobs['VisibilityTimeout']}")

    # The idempotency table: partition key id (a string).
    if "IdempotencyTable" in ids:
        table = moto.client("dynamodb").describe_table(TableName=ids["IdempotencyTable"])["Table"]
        key = ([{"AttributeName": "id", "KeyType": "HASH"}], [{"AttributeName": "id", "AttributeType": "S"}])
        check((table["KeySchema"], table["AttributeDefinitions"]) == key, f"{name}: table {table}")

    retention = log_group.get("retentionInDays")
    check(retention == int(p["LogRetentionInDays"]), f"{name}: log group {log_group}")
    if p["UploadBucketName"]:
        check(ids["Uploads"] == p["UploadBucketName"], f"{name}: bucket {ids['Uploads']}")
    permission = json.loads(lam.get_policy(FunctionName=ids["Forwarder"])["Policy"])["Statement"]
    check([s["Principal"] for s in permission] == [{"Service": "s3.amazonaws.com"}], f"{name}: {permission}")
    print(f"  {name}: {len(ids)} resources ({len(set(types.values()))} types), role policies {sorted(got)}")
    return set(types.values())


def check_transformed(t):
    """What moto does not apply, asserted on the transformed template."""
    r = t["Resources"]
    ref = lambda name: {"Ref": name}
    no_value = ref("AWS::NoValue")
    notification = r["Uploads"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    check(len(notification) == 1, f"bucket notifications {notification}")
    check(notification[0]["Function"] == {"Fn::GetAtt": ["Forwarder", "Arn"]}, f"{notification}")
    check(notification[0]["Event"] == "s3:ObjectCreated:*", f"{notification}")
    rules = notification[0]["Filter"]["S3Key"]["Rules"]
    check(
        rules
        == [
            {"Name": "prefix", "Value": ref("UploadPrefix")},
            {"Fn::If": ["HasUploadSuffix", {"Name": "suffix", "Value": ref("UploadSuffix")}, no_value]},
        ],
        f"the S3 filter is {rules}",
    )
    prefix = t["Parameters"]["UploadPrefix"]
    check(prefix.get("MinLength") == 1, f"UploadPrefix may be empty, so every key would trigger: {prefix}")
    depends = r["Uploads"].get("DependsOn", [])
    check("ForwarderUploadedPermission" in depends, f"the bucket does not wait for its permission: {depends}")

    ttl = r["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]
    check(ttl == {"AttributeName": "expiration", "Enabled": True}, f"idempotency TTL {ttl}")
    check(r["IdempotencyTable"].get("Condition") == "CreateTable", "the idempotency table is not conditional")

    function = r["Forwarder"]["Properties"]
    logging = function["LoggingConfig"]
    json_logs = logging["LogFormat"] == "JSON" and logging["LogGroup"] == ref("ForwarderLogs")
    check(json_logs, f"LoggingConfig {logging}")
    variables = function["Environment"]["Variables"]
    check("AWS_LAMBDA_LOG_FORMAT" not in variables, "AWS_LAMBDA_LOG_FORMAT is set: LoggingConfig sets it")
    for variable, condition in [
        ("ALGORITHMIA_API_KEY_ENCRYPTED", "UseKms"),
        ("ALGORITHMIA_API_KEY_SSM_PARAMETER", "UseSsm"),
        ("ALGORITHMIA_API_KEY_SECRET_ARN", "UseSecret"),
    ]:
        value = variables[variable]
        check(value["Fn::If"][0] == condition and value["Fn::If"][2] == no_value, f"{variable}: {value}")

    rules = t.get("Rules", {})
    for rule, parameter in [
        ("KmsKeySource", "EncryptedApiKey"),
        ("SsmKeySource", "ApiKeySsmParameter"),
        ("SecretKeySource", "ApiKeySecretArn"),
    ]:
        check(parameter in json.dumps(rules.get(rule, {})), f"Rules.{rule} does not require {parameter}")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "lambda-blueprint/template.yaml"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    started = time.monotonic()
    t = transformed(path)
    check_transformed(t)
    defaults = {k: str(v.get("Default", "")) for k, v in t["Parameters"].items()}
    body = json.dumps(t)
    moto = Moto()
    try:
        s3 = moto.client("s3")
        s3.create_bucket(Bucket=CODE_BUCKET)
        s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=code_zip())
        created = set()
        for scenario in SCENARIOS:
            created |= check_stack(moto, body, defaults, scenario)
        template_types = {v["Type"] for v in t["Resources"].values()}
        check(created == template_types, f"moto created {sorted(created)} of {sorted(template_types)}")
    except BaseException:
        print("check-template: moto_server's log, last lines:\n" + "".join(moto.log[-40:]), file=sys.stderr)
        raise
    finally:
        moto.stop()
    ignored = "; ".join(f"{k}: {', '.join(v)}" for k, v in IGNORED_BY_MOTO.items())
    print(f"  moto created every resource type; checked on the transformed template: {ignored}")
    print(f"check-template: {len(SCENARIOS)} stacks passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--moto-server"]:
        serve_moto(sys.argv[2:])
    else:
        main()
