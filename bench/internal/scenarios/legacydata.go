package scenarios

// The legacy contender's Go side, no cgo: the record a domain's values
// become and the devices its XML names.

import "encoding/xml"

// legacyRecord is what one domain's values become in Go.
type legacyRecord struct {
	Name, UUID string
	State      int
	Info       [4]uint64
	VCPU       []uint64
	Mem        []uint64
	Block      [][5]int64
	Net        [][8]int64
}

// domainDevices are the devices of a domain XML the legacy contender asks
// statistics of: the targets of its disks (device "disk", not cdrom or
// floppy) and of its interfaces, those with a target only.
func domainDevices(doc string) (disks, nics []string, err error) {
	var x struct {
		Disks []struct {
			Device string `xml:"device,attr"`
			Target struct {
				Dev string `xml:"dev,attr"`
			} `xml:"target"`
		} `xml:"devices>disk"`
		NICs []struct {
			Target struct {
				Dev string `xml:"dev,attr"`
			} `xml:"target"`
		} `xml:"devices>interface"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return nil, nil, err
	}
	for _, d := range x.Disks {
		if d.Device == "disk" && d.Target.Dev != "" {
			disks = append(disks, d.Target.Dev)
		}
	}
	for _, n := range x.NICs {
		if n.Target.Dev != "" {
			nics = append(nics, n.Target.Dev)
		}
	}
	return disks, nics, nil
}
