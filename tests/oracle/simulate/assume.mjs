// Reads cases from stdin: [{id, identity: [document], trust: document, caller: role ARN,
// target: role ARN}], and prints {id: "Allowed" | "Denied" | "Unknown"} as
// @cloud-copilot/iam-simulate decides sts:AssumeRole of `target` by a session of `caller`: the
// caller's identity policies, the target's trust policy, the request context a session of the
// role carries (aws:PrincipalArn, aws:PrincipalType, aws:PrincipalAccount). "Unknown": the
// simulator could not run the request.
import { runSimulation } from '@cloud-copilot/iam-simulate'

let input = ''
for await (const chunk of process.stdin) input += chunk
const cases = JSON.parse(input)
const out = {}
for (const c of cases) {
  const callerAccount = c.caller.split(':')[4]
  const roleName = c.caller.split('/').pop()
  const simulation = {
    identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: c.trust,
    request: {
      action: 'sts:AssumeRole',
      principal: `arn:aws:sts::${callerAccount}:assumed-role/${roleName}/ssoaudit`,
      resource: { accountId: c.target.split(':')[4], resource: c.target },
      contextVariables: {
        'aws:PrincipalArn': c.caller,
        'aws:PrincipalType': 'AssumedRole',
        'aws:PrincipalAccount': callerAccount
      }
    }
  }
  const response = await runSimulation(simulation, {})
  out[c.id] =
    response.resultType === 'error'
      ? 'Unknown'
      : response.overallResult === 'Allowed'
        ? 'Allowed'
        : 'Denied'
  if (response.resultType === 'error' && process.env.ORACLE_DEBUG) {
    process.stderr.write(`${c.id}: ${JSON.stringify(response.errors)}\n`)
  }
}
process.stdout.write(JSON.stringify(out))
