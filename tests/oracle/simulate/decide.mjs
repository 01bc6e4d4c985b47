// Reads cases from stdin: [{id, identity: [document], boundary: document|null,
// scps: [[document, ...] per level, root first], account, actions: [name]}], and prints
// {id: {action: "Allowed" | "Denied" | "Unknown"}} as @cloud-copilot/iam-simulate decides a
// request of a role in `account` on every resource ("*"). "Unknown": the simulator does not
// know the action.
import { runSimulation } from '@cloud-copilot/iam-simulate'

let input = ''
for await (const chunk of process.stdin) input += chunk
const cases = JSON.parse(input)
const out = {}
for (const c of cases) {
  const decisions = {}
  for (const action of c.actions) {
    const simulation = {
      identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: c.scps.map((level, n) => ({
        orgIdentifier: n === 0 ? 'r-1' : n === c.scps.length - 1 ? c.account : `ou-${n}`,
        policies: level.map((policy, i) => ({ name: `scp-${n}-${i}`, policy }))
      })),
      resourceControlPolicies: [],
      request: {
        action,
        principal: `arn:aws:iam::${c.account}:role/oracle`,
        resource: { accountId: c.account, resource: '*' },
        contextVariables: {}
      }
    }
    if (c.boundary) {
      simulation.permissionBoundaryPolicies = [{ name: 'boundary', policy: c.boundary }]
    }
    const response = await runSimulation(simulation, {})
    decisions[action] =
      response.resultType === 'error'
        ? 'Unknown'
        : response.overallResult === 'Allowed'
          ? 'Allowed'
          : 'Denied'
  }
  out[c.id] = decisions
}
process.stdout.write(JSON.stringify(out))
