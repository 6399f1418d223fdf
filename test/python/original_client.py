"""A client written the way the facility's original clients are (daq_client.py, 2020).

Same options, same file formats, same calls (requests.post(..., json=parameters,
timeout=10)), same checks of r.json()["status"], same printed lines. Only the
broker address is an option here (the original had it hard-coded), and
--action adds the run-number endpoints the later clients call.

Usage:
  original_client.py --broker URL -p p12345 -c channels -e pvs -f detectors.json -s scan_step.json
                     -r 1 -d dir --start_pulseid N --stop_pulseid M
  original_client.py --broker URL -p p12345 --action current|advance
"""
import argparse
import json

import requests

TIMEOUT_DAQ = 10


def read_names(file_name):
    with open(file_name) as input_file:
        file_lines = input_file.readlines()
    return [channel.strip() for channel in file_lines
            if not channel.strip().startswith("#") and channel.strip()]


def retrieve_data_from_buffer_files(broker_address, pgroup, output_directory=None,
                                    channels_file=None, epics_file=None, detectors_file=None,
                                    start_pulseid=None, stop_pulseid=None, rate_multiplicator=1,
                                    scan_step_info_file=None):
    channels = read_names(channels_file) if channels_file is not None else []
    camera_channels = [c for c in channels if c.endswith(":FPICTURE")]
    bsread_channels = [c for c in channels if not c.endswith(":FPICTURE")]
    epics_channels = read_names(epics_file) if epics_file is not None else []

    detectors = None
    if detectors_file is not None:
        with open(detectors_file) as json_file:
            detectors = json.load(json_file)

    scan_step_info = None
    if scan_step_info_file is not None:
        with open(scan_step_info_file) as json_file:
            scan_step_info = json.load(json_file)

    parameters = {}
    parameters["pgroup"] = pgroup
    if output_directory is not None:
        parameters["directory_name"] = output_directory
    parameters["start_pulseid"] = start_pulseid
    parameters["stop_pulseid"] = stop_pulseid
    parameters["rate_multiplicator"] = rate_multiplicator
    if len(bsread_channels) > 0:
        parameters["channels_list"] = bsread_channels
    if len(camera_channels) > 0:
        parameters["camera_list"] = camera_channels
    if len(epics_channels) > 0:
        parameters["pv_list"] = epics_channels
    if detectors is not None:
        parameters["detectors"] = detectors
    if scan_step_info is not None:
        parameters["scan_info"] = scan_step_info

    try:
        r = requests.post(f'{broker_address}/retrieve_from_buffers', json=parameters, timeout=TIMEOUT_DAQ)
    except Exception:
        raise NameError("Cant connect to daq")

    run_number = None
    responce = r.json()
    if "status" in responce:
        if responce["status"] == "ok":
            run_number = responce["message"]
            print(f'success: run number(request_id) is {run_number}')
        else:
            if "message" in responce:
                print(f' Error, reason : {responce["message"]}')
            else:
                print(f'responce is not standard : {responce}')
    else:
        print("Bad responce from request")
    return run_number


def run_number_call(broker_address, pgroup, action):
    # The later clients: GET with a JSON body for the current number, POST for the next one.
    if action == "current":
        r = requests.get(f'{broker_address}/get_current_run_number', json={"pgroup": pgroup}, timeout=TIMEOUT_DAQ)
    else:
        r = requests.post(f'{broker_address}/advance_run_number', json={"pgroup": pgroup}, timeout=TIMEOUT_DAQ)
    responce = r.json()
    if responce["status"] == "ok":
        print(f'run number is {int(responce["message"])}')
    else:
        print(f' Error, reason : {responce["message"]}')


def run():
    parser = argparse.ArgumentParser(description='test broker')
    parser.add_argument("--broker", help="broker address", default="http://localhost:10002")
    parser.add_argument("--action", choices=["retrieve", "current", "advance"], default="retrieve")
    parser.add_argument("-p", "--pgroup", help="pgroup, example p12345", default="p12345")
    parser.add_argument("-d", "--output_directory", help="output directory for the data, relative path to the raw directory in the pgroup", default=None)
    parser.add_argument("-c", "--channels_file", help="TXT file with list channels", default=None)
    parser.add_argument("-e", "--epics_file", help="TXT file with list of epics channels to save", default=None)
    parser.add_argument("-f", "--file_detectors", help="JSON file with the detector list", default=None)
    parser.add_argument("-r", "--rate_multiplicator", type=int, help="rate multiplicator (1(default): 100Hz, 2: 50Hz,)", default=1)
    parser.add_argument("-s", "--scan_step_file", help="JSON file with the scan step information", default=None)
    parser.add_argument("--start_pulseid", type=int, help="start pulseid", default=None)
    parser.add_argument("--stop_pulseid", type=int, help="stop pulseid", default=None)
    args = parser.parse_args()

    if args.action != "retrieve":
        run_number_call(args.broker, args.pgroup, args.action)
        return
    retrieve_data_from_buffer_files(args.broker, pgroup=args.pgroup, output_directory=args.output_directory,
                                    channels_file=args.channels_file, epics_file=args.epics_file,
                                    detectors_file=args.file_detectors,
                                    start_pulseid=args.start_pulseid, stop_pulseid=args.stop_pulseid,
                                    rate_multiplicator=args.rate_multiplicator,
                                    scan_step_info_file=args.scan_step_file)


if __name__ == "__main__":
    run()
