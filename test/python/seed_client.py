"""The seed's way of calling the broker, unchanged: requests.post(..., json=parameters, timeout=10).

Usage: seed_client.py BROKER_ADDRESS  -> prints JSON {"status", "message", "run_number"} of two calls.
"""
import json
import sys

import requests

broker_address = sys.argv[1]
TIMEOUT_DAQ = 10

parameters = {}
parameters["pgroup"] = "p12345"
parameters["start_pulseid"] = 11884948775
parameters["stop_pulseid"] = 11884949774
parameters["directory_name"] = "covid/detector_test2"
parameters["channels_list"] = ["SAR-CVME-TIFALL5:EvtSet", "SAR-CVME-TIFALL4:EvtSet"]
parameters["detectors"] = {"JF01T03V01": {}}

r = requests.post(f'{broker_address}/retrieve_from_buffers', json=parameters, timeout=TIMEOUT_DAQ)
answer = r.json()
out = {"http": r.status_code, "status": answer["status"], "message": answer["message"]}
if answer["status"] == "ok":
    out["run_number"] = int(answer["message"])

# A refused request: the client tests r.json()["status"] and reads the message.
r = requests.post(f'{broker_address}/retrieve_from_buffers', json={"pgroup": "p12345"}, timeout=TIMEOUT_DAQ)
out["refused"] = {"http": r.status_code, "status": r.json()["status"], "message": r.json()["message"]}
print(json.dumps(out))
